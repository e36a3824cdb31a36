"""pydantic v2 models: the receipt, scan results, batches and progress events."""

from receiptflow.models.batch import (
    Batch,
    BatchCounts,
    BatchItem,
    BatchOptions,
    BatchStatus,
    ItemStatus,
    utcnow,
)
from receiptflow.models.events import (
    EVENT_ADAPTER,
    CompleteEvent,
    ErrorEvent,
    Event,
    ProgressEvent,
    ResultEvent,
    SnapshotEvent,
    parse_event,
)
from receiptflow.models.fields import (
    DateField,
    ExtractedField,
    FieldBox,
    MoneyField,
    TextField,
    TimeField,
)
from receiptflow.models.receipt import MONEY_FIELDS, SUMMARY_FIELDS, LineItem, Receipt, ReceiptCheck
from receiptflow.models.scan import (
    FallbackOutcome,
    ScanError,
    ScanResult,
    ScanStatus,
    cancelled_result,
    error_result,
)

__all__ = [
    "EVENT_ADAPTER",
    "FallbackOutcome",
    "MONEY_FIELDS",
    "SUMMARY_FIELDS",
    "Batch",
    "BatchCounts",
    "BatchItem",
    "BatchOptions",
    "BatchStatus",
    "CompleteEvent",
    "DateField",
    "ErrorEvent",
    "Event",
    "ExtractedField",
    "FieldBox",
    "ItemStatus",
    "LineItem",
    "MoneyField",
    "ProgressEvent",
    "Receipt",
    "ReceiptCheck",
    "ResultEvent",
    "ScanError",
    "ScanResult",
    "ScanStatus",
    "SnapshotEvent",
    "TextField",
    "TimeField",
    "cancelled_result",
    "error_result",
    "parse_event",
    "utcnow",
]
