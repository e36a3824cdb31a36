"""Events the runner publishes: one per finished item, throttled progress, and the final one."""

from __future__ import annotations

import time
from collections.abc import Callable

from receiptflow.models import BatchCounts, ErrorEvent, ProgressEvent, ResultEvent, ScanResult, ScanStatus


def item_event(batch_id: str, item_id: str, result: ScanResult, seq: int) -> ResultEvent | ErrorEvent | None:
    """The ``result`` or ``error`` event for a finished item (None for a cancelled one)."""
    if result.status is ScanStatus.OK and result.receipt is not None:
        r = result.receipt
        return ResultEvent(
            batch_id=batch_id,
            seq=seq,
            item_id=item_id,
            source=result.source,
            vendor=r.vendor_name.value,
            total=r.total.value,
            currency=r.total.currency or r.currency.value,
            date=r.date.value,
            item_count=len(r.line_items),
            cached=result.cached,
            provider=result.provider,
        )
    if result.status is ScanStatus.ERROR and result.error is not None:
        return ErrorEvent(
            batch_id=batch_id,
            seq=seq,
            item_id=item_id,
            source=result.source,
            code=result.error.code,
            message=result.error.message,
            retryable=result.error.retryable,
        )
    return None


class ProgressTracker:
    """Live counts of one run, with throughput and ETA, and a throttle for progress events."""

    def __init__(
        self,
        batch_id: str,
        counts: BatchCounts,
        *,
        interval_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch_id = batch_id
        self.counts = counts.model_copy()
        self.interval_s = interval_s
        self._clock = clock
        self._start = clock()
        self._done_at_start = counts.done
        self._last_emit = float("-inf")

    @property
    def elapsed_s(self) -> float:
        """Seconds since this run started."""
        return self._clock() - self._start

    def record(self, result: ScanResult) -> None:
        """Count one finished item."""
        if result.status is ScanStatus.OK:
            self.counts.succeeded += 1
        elif result.status is ScanStatus.ERROR:
            self.counts.failed += 1
        else:
            self.counts.cancelled += 1
        if result.cached:
            self.counts.cached += 1

    def record_cancelled(self, n: int) -> None:
        """Count ``n`` items cancelled at once."""
        self.counts.cancelled += n

    def due(self) -> bool:
        """True when a progress event is due (throttled to one per ``interval_s``)."""
        return self._clock() - self._last_emit >= self.interval_s

    def event(self, seq: int) -> ProgressEvent:
        """A progress event for the current counts (resets the throttle)."""
        self._last_emit = self._clock()
        elapsed = max(self.elapsed_s, 1e-6)
        done_now = self.counts.done - self._done_at_start
        rate = done_now / elapsed
        eta = self.counts.pending / rate if rate > 0 else None
        return ProgressEvent(
            batch_id=self.batch_id,
            seq=seq,
            done=self.counts.done,
            total=self.counts.total,
            failed=self.counts.failed,
            cache_hits=self.counts.cached,
            rate=round(rate, 3),
            eta_seconds=round(eta, 1) if eta is not None else None,
        )
