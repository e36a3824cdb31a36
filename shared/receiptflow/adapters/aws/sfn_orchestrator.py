"""``Orchestrator`` on Step Functions: one execution of ``statemachine/batch.asl.json`` per batch run.

- ``start``: writes the run's manifest (pending items) to S3, then ``StartExecution`` with a deterministic
  name (``<batch_id>-run``), so a repeated start answers ``ExecutionAlreadyExists`` and changes nothing.
  Batches above ``settings.distributed_map_threshold`` items go to the Distributed Map, which reads the
  manifest itself; smaller ones carry their item ids inline.
- ``cancel``: ``StopExecution``, unfinished items become cancelled (finished results stay), the batch is
  cancelled and a ``complete`` event tells subscribers.
- ``retry_failed``: failed items go back to pending and a NEW execution scans only them (the cache makes
  repeats free). Step Functions redrive is the alternative for an execution that itself failed; see
  docs/statemachine.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import stepfunctions_client
from receiptflow.errors import ConflictError, ReceiptflowError, StoreUnavailableError
from receiptflow.models import Batch, BatchStatus, utcnow
from receiptflow.ports import BatchStore, BlobStore, EventPublisher
from receiptflow.settings import Settings
from receiptflow.workflow.events import complete_event, emit
from receiptflow.workflow.manifest import pending_items, write_manifest
from receiptflow.workflow.naming import execution_name
from receiptflow.workflow.payloads import ExecutionInput, ManifestRef

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_BUSY = frozenset(
    {"ThrottlingException", "ServiceUnavailable", "InternalServerError", "TooManyRequestsException"}
)
_RETRYABLE_STATUSES = (BatchStatus.FAILED, BatchStatus.PARTIALLY_FAILED)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextmanager
def _translate(action: str, *, ignore: frozenset[str] = frozenset()) -> Iterator[None]:
    """botocore failures → ``StoreUnavailableError`` (transient) or ``ReceiptflowError``; error codes in
    ``ignore`` are swallowed (the caller knows they mean "already done")."""
    try:
        yield
    except ClientError as e:
        code = _code(e)
        if code in ignore:
            return
        if code in _BUSY:
            raise StoreUnavailableError(f"Step Functions is busy ({code}) during {action}") from e
        raise ReceiptflowError(f"Step Functions {action} failed: {code}") from e
    except BotoCoreError as e:
        raise StoreUnavailableError(f"Step Functions unreachable during {action}: {type(e).__name__}") from e


def _socket_publisher(settings: Settings) -> EventPublisher | None:
    """The WebSocket publisher named by settings (None when no WebSocket API is configured)."""
    if not settings.websocket_endpoint or not settings.connections_table_name:
        return None
    from receiptflow.adapters.aws.ws_connections import ConnectionStore
    from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher

    return WebSocketPublisher(ConnectionStore(settings.connections_table_name), settings.websocket_endpoint)


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN an execution called ``name`` of ``state_machine_arn`` has."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


class StepFunctionsOrchestrator:
    """Runs batches on the state machine named by ``settings.state_machine_arn``; manifests go to
    ``settings.bucket_name`` through ``blobs``. Without a ``publisher``, cancels are announced on the
    WebSocket API named by settings (if any)."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: BatchStore,
        blobs: BlobStore,
        publisher: EventPublisher | None = None,
        client: SFNClient | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._blobs = blobs
        self._publisher = publisher if publisher is not None else _socket_publisher(settings)
        self._client = client

    @property
    def client(self) -> SFNClient:
        """The Step Functions client (built on first use)."""
        if self._client is None:
            self._client = stepfunctions_client()
        return self._client

    def start(self, batch: Batch) -> str:
        """Start the batch's first run; returns the execution ARN (the existing one on a repeat)."""
        arn = self._launch(batch, execution_name(batch.batch_id, "run"))
        self._store.set_batch_status(
            batch.batch_id,
            BatchStatus.RUNNING,
            expected=(BatchStatus.CREATED, BatchStatus.RUNNING),
            started_at=batch.started_at or utcnow(),
            execution_arn=arn,
        )
        return arn

    def retry_failed(self, batch: Batch) -> str:
        """Scan the batch's failed items again in a new execution; ``ConflictError`` when the batch is not
        final-with-failures. The run name comes from the previous finish time, so a double click starts
        one execution."""
        if batch.status not in _RETRYABLE_STATUSES:
            raise ConflictError(
                f"batch {batch.batch_id} is {batch.status.value}; only a finished batch with failures "
                "can be retried"
            )
        stamp = int((batch.finished_at or utcnow()).timestamp())
        name = execution_name(batch.batch_id, f"retry-{stamp}")
        self._store.reset_failed(batch.batch_id)
        self._store.set_batch_status(
            batch.batch_id, BatchStatus.RUNNING, expected=_RETRYABLE_STATUSES, finished_at=None
        )
        arn = self._launch(batch, name)
        self._store.set_batch_status(batch.batch_id, BatchStatus.RUNNING, execution_arn=arn)
        return arn

    def cancel(self, batch: Batch) -> None:
        """Stop the running execution, cancel unfinished items (finished results stay), mark the batch
        cancelled and publish ``complete``. ``ConflictError`` when the batch is already final."""
        if batch.status.terminal:
            raise ConflictError(f"batch {batch.batch_id} is already {batch.status.value}")
        if batch.execution_arn:
            with _translate("StopExecution", ignore=frozenset({"ExecutionDoesNotExist"})):
                self.client.stop_execution(
                    executionArn=batch.execution_arn, error="BatchCancelled", cause="cancelled by the user"
                )
        self._store.cancel_unfinished(batch.batch_id)
        cancelled = self._store.set_batch_status(
            batch.batch_id,
            BatchStatus.CANCELLED,
            expected=(BatchStatus.CREATED, BatchStatus.RUNNING),
            finished_at=utcnow(),
        )
        if self._publisher is not None:
            emit(self._store, self._publisher, complete_event(cancelled))

    def _launch(self, batch: Batch, name: str) -> str:
        items = pending_items(self._store, batch.batch_id)
        key, entries = write_manifest(self._blobs, batch.batch_id, name, items)
        distributed = len(entries) > self._settings.distributed_map_threshold
        payload = ExecutionInput(
            batch_id=batch.batch_id,
            tenant_id=batch.tenant_id,
            mode="distributed" if distributed else "inline",
            item_count=len(entries),
            manifest=ManifestRef(bucket=self._settings.bucket_name, key=key),
            items=None if distributed else entries,
        )
        state_machine = self._settings.state_machine_arn
        arn = execution_arn(state_machine, name)  # also the answer when the name was started before
        with _translate("StartExecution", ignore=frozenset({"ExecutionAlreadyExists"})):
            arn = self.client.start_execution(
                stateMachineArn=state_machine,
                name=name,
                input=json.dumps(payload.model_dump(exclude_none=True), separators=(",", ":")),
            )["executionArn"]
        return arn
