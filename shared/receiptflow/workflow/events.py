"""Building and publishing progress events with their per-batch sequence numbers."""

from __future__ import annotations

from receiptflow.models import (
    Batch,
    BatchItem,
    CompleteEvent,
    ErrorEvent,
    Event,
    ProgressEvent,
    ResultEvent,
    ScanResult,
    utcnow,
)
from receiptflow.ports import BatchStore, EventPublisher


def emit(store: BatchStore, publisher: EventPublisher, event: Event) -> Event:
    """Stamp ``event`` with the batch's next ``seq`` and publish it; returns the stamped event."""
    stamped = event.model_copy(update={"seq": store.next_seq(event.batch_id)})
    publisher.publish(stamped)
    return stamped


def elapsed_seconds(batch: Batch) -> float:
    """Seconds since the batch started (0 before it started)."""
    if batch.started_at is None:
        return 0.0
    end = batch.finished_at or utcnow()
    return max((end - batch.started_at).total_seconds(), 0.0)


def progress_event(batch: Batch) -> ProgressEvent:
    """Counts so far, items per second since the start and the time left at that rate."""
    counts = batch.counts
    elapsed = elapsed_seconds(batch)
    rate = counts.done / elapsed if elapsed > 0 else 0.0
    eta = counts.pending / rate if rate > 0 else None
    return ProgressEvent(
        batch_id=batch.batch_id,
        done=counts.done,
        total=counts.total,
        failed=counts.failed,
        cache_hits=counts.cached,
        rate=round(rate, 3),
        eta_seconds=round(eta, 1) if eta is not None else None,
    )


def result_event(item: BatchItem, result: ScanResult) -> ResultEvent:
    """The ``result`` event for an item that produced a receipt (partial fields a UI shows at once)."""
    receipt = result.receipt
    return ResultEvent(
        batch_id=item.batch_id,
        item_id=item.item_id,
        source=item.source,
        vendor=receipt.vendor_name.value if receipt else None,
        total=receipt.total.value if receipt else None,
        currency=(receipt.total.currency or receipt.currency.value) if receipt else None,
        date=receipt.date.value if receipt else None,
        item_count=len(receipt.line_items) if receipt else 0,
        cached=result.cached,
        provider=result.provider,
    )


def error_event(item: BatchItem, result: ScanResult) -> ErrorEvent:
    """The ``error`` event for an item that failed with a typed error."""
    error = result.error
    return ErrorEvent(
        batch_id=item.batch_id,
        item_id=item.item_id,
        source=item.source,
        code=error.code if error else "internal_error",
        message=error.message if error else "unknown error",
        retryable=error.retryable if error else False,
    )


def complete_event(batch: Batch) -> CompleteEvent:
    """The ``complete`` event of a batch in its final status."""
    return CompleteEvent(
        batch_id=batch.batch_id,
        status=batch.status,
        counts=batch.counts,
        duration_s=round(elapsed_seconds(batch), 3),
        cost_usd=batch.cost_usd,
    )
