"""One DynamoDB table behind the low-level client: reads, conditional writes and transactions, with
every botocore failure translated into a domain error.

A failed ``ConditionExpression`` is not an error here but an answer, so it surfaces as
``ConditionCheckFailedError`` (AWS adapters catch it; it never leaves them). Races lost to a concurrent
transaction (``TransactionConflict``), which botocore does not retry, are retried with jittered backoff.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from receiptflow.adapters.aws.dynamo_codec import from_attrs, to_attrs
from receiptflow.adapters.aws.dynamo_errors import (
    TRANSACTION_CANCELED,
    TRANSIENT_CANCELLATION_CODES,
    TransactionConflictError,
    cancellation_codes,
    error_code,
    is_conditional_failure,
    to_domain_error,
)
from receiptflow.errors import ReceiptflowError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONDITION_FAILED = "ConditionalCheckFailed"  # cancellation reason of an action whose condition failed
CONFLICT_ATTEMPTS = 8


class ConditionCheckFailedError(Exception):
    """A single-item write's condition failed; ``old`` is the stored record when it was asked for."""

    def __init__(self, error: ClientError) -> None:
        super().__init__(str(error))
        old: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
        self.old = from_attrs(old) if old else None


class DynamoTable:
    """A table name plus a client, speaking plain Python records (see ``dynamo_codec``)."""

    def __init__(self, name: str, client: DynamoDBClient) -> None:
        self.name = name
        self.client = client
        self._retrying = Retrying(
            retry=retry_if_exception_type(TransactionConflictError),
            wait=wait_random_exponential(multiplier=0.02, max=0.5),
            stop=stop_after_attempt(CONFLICT_ATTEMPTS),
            reraise=True,
        )

    def get(self, key: dict[str, str], *, consistent: bool = True) -> dict[str, Any] | None:
        """The record under ``key`` or None."""
        response = self._call(
            self.client.get_item, TableName=self.name, Key=to_attrs(key), ConsistentRead=consistent
        )
        item = response.get("Item")
        return from_attrs(item) if item else None

    def query(
        self, request: dict[str, Any], *, keep: Callable[[dict[str, Any]], bool], limit: int
    ) -> list[dict[str, Any]]:
        """Records of a ``Query`` that pass ``keep``, following pages until ``limit`` are found."""
        request = {**request, "TableName": self.name}
        records: list[dict[str, Any]] = []
        while len(records) < limit:
            response = self._call(self.client.query, **request)
            records.extend(r for r in (from_attrs(a) for a in response.get("Items", [])) if keep(r))
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return records[:limit]

    def write(self, operation: str, **kwargs: Any) -> Any:
        """``put_item``/``update_item``/``delete_item`` with ``TableName`` filled in; a failed condition
        raises ``ConditionCheckFailedError``; a conflict with a running transaction is retried."""
        method = getattr(self.client, operation)
        return self._retrying(self._call, method, TableName=self.name, **kwargs)

    def transact(self, actions: list[dict[str, Any]]) -> list[str]:
        """Run one ``TransactWriteItems``; ``[]`` on success, else each action's cancellation code
        (``"ConditionalCheckFailed"`` where a condition failed, ``"None"`` where it was fine)."""
        codes: list[str] = self._retrying(self._transact_once, actions)
        return codes

    def update_action(
        self,
        key: dict[str, str],
        update: str,
        *,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A transaction ``Update`` action on this table."""
        action: dict[str, Any] = {
            "TableName": self.name,
            "Key": to_attrs(key),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": to_attrs(values),
        }
        if names:
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _call(self, method: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except ClientError as e:
            if is_conditional_failure(e):
                raise ConditionCheckFailedError(e) from e
            raise to_domain_error(e, self.name) from e
        except BotoCoreError as e:
            raise to_domain_error(e, self.name) from e

    def _transact_once(self, actions: list[dict[str, Any]]) -> list[str]:
        try:
            self.client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as e:
            if error_code(e) != TRANSACTION_CANCELED:
                raise to_domain_error(e, self.name) from e
            codes = cancellation_codes(e)
            if len(codes) != len(actions):
                raise ReceiptflowError(
                    f"DynamoDB cancelled a transaction on {self.name} without reasons"
                ) from e
            if CONDITION_FAILED in codes:
                return codes
            if TRANSIENT_CANCELLATION_CODES.intersection(codes):
                raise TransactionConflictError(f"transaction on {self.name} was cancelled: {codes}") from e
            raise to_domain_error(e, self.name) from e
        except BotoCoreError as e:
            raise to_domain_error(e, self.name) from e
        return []
