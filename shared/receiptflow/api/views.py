"""Derived figures (rate, ETA, cost estimate, stats) and user-correction validation."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from receiptflow.api.schemas import BatchView
from receiptflow.batches.events import pace
from receiptflow.errors import InvalidRequestError, LimitExceededError
from receiptflow.models import MONEY_FIELDS, SUMMARY_FIELDS, Batch, BatchItem, utcnow

_DATE_FIELDS = {"date"}
_TIME_FIELDS = {"time"}
MAX_CORRECTION_CHARS = 500  # a corrected value, as sent (an address is the longest field)
MAX_MONEY_DIGITS = 15  # digits of a corrected amount: up to 10**13 with two decimals


def batch_view(batch: Batch, now: dt.datetime | None = None) -> BatchView:
    """``batch`` with elapsed time, rate (items/s), ETA (the batch service's one computation of them) and
    a cost estimate."""
    view = BatchView(**batch.model_dump())
    if batch.started_at is None:
        view.cost_estimate_usd = batch.cost_usd
        return view
    took = pace(batch, now)
    counts = batch.counts
    view.elapsed_s = round(took.elapsed_s, 3)
    if took.rate > 0:
        view.rate = round(took.rate, 4)
    if took.eta_seconds is not None:
        view.eta_seconds = round(took.eta_seconds, 1)
    scanned = max(counts.done - counts.cached - counts.cancelled, 0)
    per_item = batch.cost_usd / scanned if scanned else 0.0
    pending = 0 if batch.status.terminal else counts.pending
    view.cost_estimate_usd = round(batch.cost_usd + per_item * pending, 6)
    return view


def validate_correction(patch: Mapping[str, Any]) -> dict[str, str | None]:
    """Check a correction (summary field → printed value, ``null`` clears it); values are normalised."""
    if not patch:
        raise InvalidRequestError("a correction names at least one field")
    clean: dict[str, str | None] = {}
    for name, value in patch.items():
        if name not in SUMMARY_FIELDS:
            raise InvalidRequestError(
                f"{name!r} is not a correctable field; use one of {', '.join(SUMMARY_FIELDS)}"
            )
        if value is None:
            clean[name] = None
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InvalidRequestError(f"{name!r} takes a string value")
        text = value if isinstance(value, str) else _number_text(name, value)
        if len(text) > MAX_CORRECTION_CHARS:
            raise LimitExceededError(
                f"{name!r}: {len(text):,} characters; a corrected value has at most {MAX_CORRECTION_CHARS}"
            )
        clean[name] = _normalise(name, text.strip())
    return clean


def _number_text(name: str, value: int | float) -> str:
    """A JSON number as text, refusing one too large to be printed (an int of thousands of digits)."""
    try:
        return str(value)
    except ValueError as e:  # int past sys.get_int_max_str_digits()
        raise LimitExceededError(f"{name!r}: the number is too large") from e


def _normalise(name: str, value: str) -> str:
    try:
        if name in MONEY_FIELDS:
            return _money(name, Decimal(value.replace(",", "")))
        if name in _DATE_FIELDS:
            return dt.date.fromisoformat(value).isoformat()
        if name in _TIME_FIELDS:
            return dt.time.fromisoformat(value).isoformat()
    except (InvalidOperation, ValueError) as e:
        raise InvalidRequestError(f"{name!r}: {value!r} is not a valid value") from e
    return " ".join(value.split())


def _money(name: str, amount: Decimal) -> str:
    """A corrected amount: finite, at most ``MAX_MONEY_DIGITS`` digits and two decimals of precision."""
    if not amount.is_finite():
        raise InvalidRequestError(f"{name!r}: {amount} is not an amount")
    exponent = int(amount.as_tuple().exponent)
    if amount.adjusted() >= MAX_MONEY_DIGITS - 2 or exponent < -MAX_MONEY_DIGITS:
        raise LimitExceededError(
            f"{name!r}: {amount:.3e} is out of range; an amount has at most {MAX_MONEY_DIGITS} digits"
        )
    return str(amount)


def merge_correction(current: Mapping[str, Any] | None, patch: Mapping[str, str | None]) -> dict[str, Any]:
    """PATCH semantics: set the given fields, drop the ones set to ``null``."""
    merged = dict(current or {})
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged


def batch_throughput(
    batches: Iterable[Batch], now: dt.datetime | None = None
) -> tuple[int, float | None, float | None]:
    """(items done, items/s over the batches' run time, cache hit rate) of ``batches``."""
    now = now or utcnow()
    done = cached = 0
    seconds = 0.0
    for batch in batches:
        if batch.started_at is None:
            continue
        done += batch.counts.done - batch.counts.cancelled
        cached += batch.counts.cached
        seconds += max(((batch.finished_at or now) - batch.started_at).total_seconds(), 0.0)
    rate = round(done / seconds, 4) if seconds > 0 and done else None
    hit_rate = round(cached / done, 4) if done else None
    return done, rate, hit_rate


def provider_latency(items: Iterable[BatchItem]) -> dict[str, dict[str, float]]:
    """Median and p95 scan duration (ms) per provider, over items that were really scanned (not cached)."""
    durations: dict[str, list[float]] = {}
    for item in items:
        result = item.result
        if result is None or result.cached or not result.provider:
            continue
        durations.setdefault(result.provider, []).append(result.duration_ms)
    report: dict[str, dict[str, float]] = {}
    for provider, values in durations.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]
        report[provider] = {"count": len(values), "median_ms": statistics.median(values), "p95_ms": p95}
    return report
