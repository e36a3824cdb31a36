"""Translate DynamoDB/botocore failures into receiptflow's domain errors (no vendor exception escapes)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

from receiptflow.errors import ReceiptflowError, StoreUnavailableError

# Left after botocore's own (adaptive) retries: the caller may retry later, nothing was written.
THROUGHPUT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)
CONDITIONAL_FAILED = "ConditionalCheckFailedException"
TRANSACTION_CANCELED = "TransactionCanceledException"
TRANSACTION_CONFLICT = "TransactionConflictException"
# Cancellation reasons that mean "try again", as opposed to a failed condition.
TRANSIENT_CANCELLATION_CODES = frozenset(
    {"TransactionConflict", "ProvisionedThroughputExceeded", "ThrottlingError", "RequestLimitExceeded"}
)


class TransactionConflictError(StoreUnavailableError):
    """A write lost a race with a concurrent transaction on the same item; safe to retry."""

    code = "store_transaction_conflict"


def error_code(error: ClientError) -> str:
    """The AWS error code of a ``ClientError``."""
    return str(error.response.get("Error", {}).get("Code", ""))


def is_conditional_failure(error: ClientError) -> bool:
    """True for a failed ``ConditionExpression`` on a single-item write."""
    return error_code(error) == CONDITIONAL_FAILED


def cancellation_codes(error: ClientError) -> list[str]:
    """Per-action reason codes of a ``TransactionCanceledException`` (``"None"`` where fine)."""
    reasons: list[dict[str, Any]] = list(error.response.get("CancellationReasons") or [])  # type: ignore[arg-type]
    return [str(reason.get("Code") or "None") for reason in reasons]


def to_domain_error(error: ClientError | BotoCoreError, table: str) -> ReceiptflowError:
    """The domain error for a DynamoDB failure that is not an expected lost race."""
    if isinstance(error, ClientError):
        code = error_code(error)
        if code == TRANSACTION_CONFLICT:
            return TransactionConflictError(f"write to {table} raced a transaction on the same item")
        if code in THROUGHPUT_CODES:
            return StoreUnavailableError(f"DynamoDB table {table} is busy ({code}); retry later")
        return ReceiptflowError(f"DynamoDB table {table} failed: {code}")
    if isinstance(error, ConnectionError | HTTPClientError):
        return StoreUnavailableError(f"DynamoDB is unreachable for table {table}: {type(error).__name__}")
    return ReceiptflowError(f"DynamoDB client error for table {table}: {type(error).__name__}")
