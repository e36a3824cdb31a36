"""``Dispatcher`` on Step Functions: one execution of ``statemachine/batch.asl.json`` per run. It starts
and stops executions and nothing else; every batch rule lives in the batch service.

- ``start``: writes the run's item manifest to S3 (``blob_keys.manifest_key``), then ``StartExecution``
  with a deterministic name (``<batch_id>-<run>``): a repeated start answers ``ExecutionAlreadyExists``
  and changes nothing. The execution input is constant-size; the Map reads the items from the manifest.
- ``stop``: ``StopExecution``. Lambda invocations already running finish and record their items.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import stepfunctions_client
from receiptflow.blob_keys import manifest_key
from receiptflow.errors import ReceiptflowError, StoreUnavailableError
from receiptflow.ports import BlobStore, Run

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

MAX_EXECUTION_NAME = 80
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")
_BUSY = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "InternalServerError", "TooManyRequestsException"}
)


def execution_name(batch_id: str, run: str) -> str:
    """A Step Functions execution name for ``run`` of ``batch_id``: only ``[0-9A-Za-z_-]``, at most 80
    characters (a hash keeps long ids unique). Starting the same name twice answers
    ``ExecutionAlreadyExists``, which is how a repeated start is recognised."""
    name = _UNSAFE.sub("-", f"{batch_id}-{run}")
    if len(name) <= MAX_EXECUTION_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"{name[: MAX_EXECUTION_NAME - 17]}-{digest}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution called ``name`` of ``state_machine_arn`` has."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


@contextmanager
def _translate(action: str, *, ignore: frozenset[str] = frozenset()) -> Iterator[None]:
    """botocore failures → ``StoreUnavailableError`` (transient) or ``ReceiptflowError``; error codes in
    ``ignore`` are swallowed (the caller knows they mean "already done")."""
    try:
        yield
    except ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in ignore:
            return
        if code in _BUSY:
            raise StoreUnavailableError(f"Step Functions is busy ({code}) during {action}") from e
        raise ReceiptflowError(f"Step Functions {action} failed: {code}") from e
    except BotoCoreError as e:
        raise StoreUnavailableError(f"Step Functions unreachable during {action}: {type(e).__name__}") from e


class StepFunctionsDispatcher:
    """Runs batches on ``state_machine_arn``; manifests go to ``bucket`` through ``blobs``."""

    def __init__(
        self, *, state_machine_arn: str, bucket: str, blobs: BlobStore, client: SFNClient | None = None
    ) -> None:
        self._state_machine_arn = state_machine_arn
        self._bucket = bucket
        self._blobs = blobs
        self._client = client

    @property
    def client(self) -> SFNClient:
        """The Step Functions client (built on first use)."""
        if self._client is None:
            self._client = stepfunctions_client()
        return self._client

    def start(self, run: Run) -> str:
        """Write the manifest and start the execution; returns its ARN (the existing one on a repeat)."""
        name = execution_name(run.batch_id, run.name)
        key = manifest_key(run.batch_id, name)
        manifest = json.dumps([{"item_id": item_id} for item_id in run.item_ids], separators=(",", ":"))
        self._blobs.put(key, manifest.encode(), "application/json")
        payload = {
            "batch_id": run.batch_id,
            "tenant_id": run.tenant_id,
            "item_count": len(run.item_ids),
            "manifest": {"bucket": self._bucket, "key": key},
        }
        arn = execution_arn(self._state_machine_arn, name)  # also the answer when the name was started before
        with _translate("StartExecution", ignore=frozenset({"ExecutionAlreadyExists"})):
            arn = self.client.start_execution(
                stateMachineArn=self._state_machine_arn,
                name=name,
                input=json.dumps(payload, separators=(",", ":")),
            )["executionArn"]
        return arn

    def stop(self, batch_id: str, execution_id: str | None) -> None:
        """Stop the execution (if it is still running)."""
        if not execution_id:
            return
        with _translate("StopExecution", ignore=frozenset({"ExecutionDoesNotExist"})):
            self.client.stop_execution(
                executionArn=execution_id, error="BatchCancelled", cause="cancelled by the user"
            )
