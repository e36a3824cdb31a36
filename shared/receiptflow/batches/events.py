"""Every event a batch emits, built here and only here, and the one place pace (elapsed, rate, ETA) is
computed (the API's batch view uses it too).

The rule, the same in both modes: ``progress`` when a run starts, ``result`` or ``error`` then ``progress``
for every recorded item (a cancelled item has no item event, only its ``progress``), ``progress`` when a
cancel cancels the pending items, and exactly one ``complete`` when the batch reaches a final status.
Each event is numbered with the batch's next ``seq`` by the store, then published (best effort: the
result is already stored, and a client re-syncs from a ``snapshot``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from receiptflow.models import (
    Batch,
    BatchStatus,
    CompleteEvent,
    ErrorEvent,
    Event,
    ProgressEvent,
    ResultEvent,
    ScanResult,
    ScanStatus,
    utcnow,
)
from receiptflow.ports import BatchStore, EventPublisher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pace:
    """How fast a batch goes: seconds since it started, items per second, seconds left at that rate."""

    elapsed_s: float
    rate: float
    eta_seconds: float | None


def pace(batch: Batch, now: dt.datetime | None = None) -> Pace:
    """``batch``'s pace: elapsed from ``started_at`` to ``finished_at`` (or now), rate = items done / elapsed,
    ETA = items left / rate while the batch is running (None when unknown or over)."""
    if batch.started_at is None:
        return Pace(0.0, 0.0, None)
    end = batch.finished_at or now or utcnow()
    elapsed = max((end - batch.started_at).total_seconds(), 0.0)
    counts = batch.counts
    rate = counts.done / elapsed if elapsed > 0 and counts.done else 0.0
    running = batch.status in (BatchStatus.CREATED, BatchStatus.RUNNING)
    eta = counts.pending / rate if running and rate > 0 else None
    return Pace(elapsed, rate, eta)


def progress_event(batch: Batch, now: dt.datetime | None = None) -> ProgressEvent:
    """Counts so far, with rate and ETA."""
    counts, p = batch.counts, pace(batch, now)
    return ProgressEvent(
        batch_id=batch.batch_id,
        done=counts.done,
        total=counts.total,
        failed=counts.failed,
        cache_hits=counts.cached,
        rate=round(p.rate, 3),
        eta_seconds=round(p.eta_seconds, 1) if p.eta_seconds is not None else None,
    )


def item_event(batch_id: str, item_id: str, result: ScanResult) -> ResultEvent | ErrorEvent | None:
    """``result`` (with the partial fields a UI shows at once) or ``error`` for a recorded item; None for a
    cancelled one."""
    if result.status is ScanStatus.OK:
        receipt = result.receipt
        return ResultEvent(
            batch_id=batch_id,
            item_id=item_id,
            source=result.source,
            vendor=receipt.vendor_name.value if receipt else None,
            total=receipt.total.value if receipt else None,
            currency=(receipt.total.currency or receipt.currency.value) if receipt else None,
            date=receipt.date.value if receipt else None,
            item_count=len(receipt.line_items) if receipt else 0,
            cached=result.cached,
            provider=result.provider,
        )
    if result.status is ScanStatus.ERROR:
        error = result.error
        return ErrorEvent(
            batch_id=batch_id,
            item_id=item_id,
            source=result.source,
            code=error.code if error else "internal_error",
            message=error.message if error else "unknown error",
            retryable=error.retryable if error else False,
        )
    return None


def complete_event(batch: Batch) -> CompleteEvent:
    """The ``complete`` event of a batch in its final status."""
    return CompleteEvent(
        batch_id=batch.batch_id,
        status=batch.status,
        counts=batch.counts,
        duration_s=round(pace(batch).elapsed_s, 3),
        cost_usd=batch.cost_usd,
    )


class EventEmitter:
    """Numbers events with the batch's next ``seq`` and publishes them."""

    def __init__(self, store: BatchStore, publisher: EventPublisher) -> None:
        self._store = store
        self._publisher = publisher

    def emit(self, event: Event) -> Event | None:
        """Stamp and publish ``event``; returns it stamped, or None when it could not be sent (logged)."""
        try:
            stamped = event.model_copy(update={"seq": self._store.next_seq(event.batch_id)})
            self._publisher.publish(stamped)
        except Exception:  # events are best effort: the state they describe is already stored
            logger.exception("publishing an event failed", extra={"batch_id": event.batch_id})
            return None
        return stamped
