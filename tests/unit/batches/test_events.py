"""Pace (elapsed, rate, ETA) and the events built from a batch: one computation for every caller."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from receiptflow.api.views import batch_view
from receiptflow.batches.events import complete_event, item_event, pace, progress_event
from receiptflow.models import (
    Batch,
    BatchCounts,
    BatchStatus,
    ErrorEvent,
    MoneyField,
    Receipt,
    ResultEvent,
    ScanError,
    ScanResult,
    ScanStatus,
    TextField,
)

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def running(done: int, total: int = 10, **counts: int) -> Batch:
    return Batch(
        batch_id="b1",
        status=BatchStatus.RUNNING,
        started_at=T0,
        counts=BatchCounts(total=total, succeeded=done, **counts),
    )


def test_pace_is_items_done_over_elapsed_and_eta_is_what_is_left_at_that_rate() -> None:
    p = pace(running(4), now=T0 + dt.timedelta(seconds=8))
    assert (p.elapsed_s, p.rate, p.eta_seconds) == (8.0, 0.5, 12.0)


def test_no_eta_before_the_first_item_nor_once_the_batch_stops() -> None:
    assert pace(running(0), now=T0 + dt.timedelta(seconds=5)).eta_seconds is None
    cancelling = running(4).model_copy(update={"status": BatchStatus.CANCELLING})
    assert pace(cancelling, now=T0 + dt.timedelta(seconds=8)).eta_seconds is None
    done = running(10).model_copy(
        update={"status": BatchStatus.SUCCEEDED, "finished_at": T0 + dt.timedelta(seconds=20)}
    )
    later = pace(done, now=T0 + dt.timedelta(hours=1))
    assert (later.elapsed_s, later.rate, later.eta_seconds) == (20.0, 0.5, None)  # frozen at the finish
    assert pace(Batch(batch_id="new"), now=T0) == pace(Batch(batch_id="new"), now=T0 + dt.timedelta(days=1))


def test_the_progress_event_and_the_api_view_agree() -> None:
    batch = running(4, failed=1, cached=2)
    now = T0 + dt.timedelta(seconds=10)
    event, view = progress_event(batch, now), batch_view(batch, now)
    assert (event.done, event.total, event.failed, event.cache_hits) == (5, 10, 1, 2)
    assert (event.rate, event.eta_seconds) == (0.5, 10.0)
    assert (view.rate, view.eta_seconds, view.elapsed_s) == (0.5, 10.0, 10.0)


def test_item_events_carry_the_result_or_the_typed_error_and_cancelled_items_have_none() -> None:
    receipt = Receipt(
        vendor_name=TextField(value="SHOP"), total=MoneyField(value=Decimal("9.99"), currency="EUR")
    )
    ok = ScanResult(source="a.jpg", status=ScanStatus.OK, receipt=receipt, provider="local", cached=True)
    result = item_event("b1", "001", ok)
    assert isinstance(result, ResultEvent)
    assert (result.item_id, result.source, result.vendor, result.total, result.currency, result.cached) == (
        "001",
        "a.jpg",
        "SHOP",
        Decimal("9.99"),
        "EUR",
        True,
    )
    bad = ScanResult(
        source="b.jpg", status=ScanStatus.ERROR, error=ScanError(code="corrupt_image", message="x")
    )
    error = item_event("b1", "002", bad)
    assert isinstance(error, ErrorEvent) and (error.code, error.retryable) == ("corrupt_image", False)
    assert item_event("b1", "003", ScanResult(source="c.jpg", status=ScanStatus.CANCELLED)) is None


def test_the_complete_event_says_how_long_the_batch_took() -> None:
    done = running(10).model_copy(
        update={
            "status": BatchStatus.SUCCEEDED,
            "finished_at": T0 + dt.timedelta(seconds=3.5),
            "cost_usd": 0.02,
        }
    )
    event = complete_event(done)
    assert (event.status, event.duration_s, event.cost_usd, event.counts.done) == (
        BatchStatus.SUCCEEDED,
        3.5,
        0.02,
        10,
    )
