"""Circuit-breaker state in the single DynamoDB table (item ``pk=BREAKER#<name>, sk=STATE``).

Compare-and-set is a ``PutItem`` with ``ConditionExpression`` on ``version`` (or on the item not existing
yet); reads are strongly consistent. Breaker items carry no TTL: there is one small item per provider, and an
expiring item would reset the version the compare-and-set relies on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_errors import is_conditional_failure, to_domain_error
from receiptflow.adapters.aws.dynamo_keys import PK, breaker_key
from receiptflow.ports import BreakerPhase, BreakerState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoBreakerStore:
    """``BreakerStore`` over DynamoDB."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self.table_name = table_name
        self._client = client

    @property
    def client(self) -> DynamoDBClient:
        """The injected client, or the process-wide cached one."""
        return self._client or clients.dynamodb_client()

    def load(self, name: str) -> BreakerState:
        """Current state; a fresh closed state when none is stored."""
        try:
            response = self.client.get_item(TableName=self.table_name, Key=_key(name), ConsistentRead=True)
        except (ClientError, BotoCoreError) as error:
            raise to_domain_error(error, self.table_name) from error
        item: dict[str, Any] | None = response.get("Item")  # type: ignore[assignment]
        if not item:
            return BreakerState()
        return BreakerState(
            phase=BreakerPhase(item["phase"]["S"]),
            failures=int(item["failures"]["N"]),
            window_start=float(item["window_start"]["N"]),
            opened_at=float(item["opened_at"]["N"]),
            probe_started_at=float(item["probe_started_at"]["N"]),
            version=int(item["version"]["N"]),
        )

    def compare_and_set(self, name: str, expected_version: int, new: BreakerState) -> bool:
        """Store ``new`` (version ``expected_version + 1``) if the stored version is ``expected_version``."""
        item = {
            **_key(name),
            "phase": {"S": new.phase.value},
            "failures": {"N": str(new.failures)},
            "window_start": {"N": repr(new.window_start)},
            "opened_at": {"N": repr(new.opened_at)},
            "probe_started_at": {"N": repr(new.probe_started_at)},
            "version": {"N": str(expected_version + 1)},
        }
        if expected_version == 0:
            condition, values = f"attribute_not_exists({PK})", None
        else:
            condition, values = "version = :expected", {":expected": {"N": str(expected_version)}}
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
        }
        if values is not None:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(**kwargs)
        except ClientError as error:
            if is_conditional_failure(error):
                return False
            raise to_domain_error(error, self.table_name) from error
        except BotoCoreError as error:
            raise to_domain_error(error, self.table_name) from error
        return True


def _key(name: str) -> dict[str, Any]:
    return {k: {"S": v} for k, v in breaker_key(name).items()}
