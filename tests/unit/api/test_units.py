"""Unit level (no network): problem registry, API keys, rate limiter, views, event queue overflow,
and the committed events JSON Schema."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from receiptflow import errors
from receiptflow.api.auth import ApiKeyAuthenticator, load_api_keys, parse_api_keys
from receiptflow.api.events_schema import render
from receiptflow.api.problems import STATUS_BY_ERROR, status_for
from receiptflow.api.ratelimit import RateLimiter
from receiptflow.api.realtime import OVERFLOW, EventQueue, sse_frame
from receiptflow.api.views import batch_view, merge_correction, validate_correction
from receiptflow.models import Batch, BatchCounts, BatchStatus, ProgressEvent
from receiptflow.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.NotFoundError(), 404),
        (errors.ConflictError(), 409),
        (errors.RateLimitedError(retry_after=3), 429),
        (errors.LimitExceededError(), 422),
        (errors.TooLargeError(), 413),
        (errors.CorruptImageError(), 422),
        (errors.NoReceiptFoundError(), 422),  # via UnreadableDocumentError
        (errors.CircuitOpenError(), 503),  # via ProviderUnavailableError
        (errors.ProviderTimeoutError(), 504),
        (errors.UnauthorizedError(), 401),
        (errors.StoreUnavailableError(), 503),
        (errors.ReceiptflowError(), 500),
    ],
)
def test_registry_maps_each_error_by_its_nearest_class(error: errors.ReceiptflowError, status: int) -> None:
    assert status_for(error) == status


def test_registry_covers_every_error_class() -> None:
    def subclasses(cls: type[errors.ReceiptflowError]) -> set[type[errors.ReceiptflowError]]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    for cls in subclasses(errors.ReceiptflowError):
        assert any(base in STATUS_BY_ERROR for base in cls.__mro__ if base is not errors.ReceiptflowError), (
            cls
        )


def test_api_keys_from_env_and_file(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text("# tenants\ngamma:key-g\n\ndelta : key-d  # ops\n", encoding="utf-8")
    settings = Settings(api_keys="alpha:key-a,beta:key-b", api_keys_file=keys_file, data_dir=tmp_path)
    assert load_api_keys(settings) == {"key-a": "alpha", "key-b": "beta", "key-g": "gamma", "key-d": "delta"}
    assert ApiKeyAuthenticator(load_api_keys(settings)).tenants == {"alpha", "beta", "gamma", "delta"}
    with pytest.raises(errors.InvalidRequestError):
        parse_api_keys("just-a-key")


def test_rate_limiter_refills_over_time() -> None:
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    for _ in range(60):
        limiter.check("a")
    with pytest.raises(errors.RateLimitedError) as limited:
        limiter.check("a")
    assert 0 < limited.value.retry_after <= 1.0
    limiter.check("b")  # buckets are per tenant
    now[0] += 1.0  # one token per second at 60/min
    limiter.check("a")
    with pytest.raises(errors.RateLimitedError):
        limiter.check("a")


def test_batch_view_rate_eta_and_cost() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch = Batch(
        batch_id="b",
        status=BatchStatus.RUNNING,
        counts=BatchCounts(total=10, succeeded=3, failed=1, cached=2),
        started_at=start,
        cost_usd=0.02,
    )
    view = batch_view(batch, now=start + dt.timedelta(seconds=8))
    assert view.rate == 0.5 and view.eta_seconds == 12.0 and view.elapsed_s == 8.0
    assert view.cost_estimate_usd == pytest.approx(0.02 + 0.01 * 6)  # two scanned items cost 0.02
    assert batch_view(Batch(batch_id="new")).rate is None


def test_correction_validation_and_merge() -> None:
    clean = validate_correction({"total": "1,234.50", "date": "2024-03-02", "vendor_name": "  A   B "})
    assert clean == {"total": "1234.50", "date": "2024-03-02", "vendor_name": "A B"}
    assert merge_correction({"tip": "1", "total": "2"}, {"tip": None, "tax": "0.5"}) == {
        "total": "2",
        "tax": "0.5",
    }
    for bad in ({"nope": "1"}, {"total": "abc"}, {"date": "02/03/2024"}, {"total": True}, {}):
        with pytest.raises(errors.InvalidRequestError):
            validate_correction(bad)


def test_event_queue_drops_a_slow_subscriber_without_blocking() -> None:
    async def scenario() -> list[object]:
        queue = EventQueue(asyncio.get_running_loop(), maxsize=3)
        for seq in range(1, 6):  # the publisher never waits, even when the queue is full
            queue.push(ProgressEvent(batch_id="b", seq=seq, done=seq, total=5))
        await asyncio.sleep(0.05)
        assert queue.overflowed
        return [await queue.get()]

    assert asyncio.run(scenario()) == [OVERFLOW]


def test_sse_frame_carries_seq_as_id() -> None:
    frame = sse_frame(ProgressEvent(batch_id="b", seq=7, done=1, total=2))
    assert frame.startswith("id: 7\nevent: progress\ndata: {") and frame.endswith("}\n\n")


def test_committed_events_schema_is_up_to_date() -> None:
    committed = (REPO_ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8")
    assert committed == render(), "regenerate with: python -m receiptflow.api.events_schema"


def test_circuit_states_read_the_shared_breaker_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
    from receiptflow.api.circuits import circuit_reader
    from receiptflow.ports import BreakerPhase, BreakerState
    from receiptflow.wiring.providers import chain_names, clear_provider_cache

    # both cloud providers configured, so both are in the chain (and have a circuit)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    clear_provider_cache()
    store = SqliteBreakerStore(tmp_path / "breakers.db")
    settings = Settings(data_dir=tmp_path, provider="auto", provider_order="textract, openai")
    assert store.compare_and_set(
        "openai", 0, BreakerState(phase=BreakerPhase.OPEN, failures=5, opened_at=1.0)
    )
    states = circuit_reader(store, settings, chain_names(settings, mode="local"))()
    assert {name: s["phase"] for name, s in states.items()} == {"textract": "closed", "openai": "open"}
    local = Settings(data_dir=tmp_path, provider="local")
    assert circuit_reader(store, local, chain_names(local, mode="local"))() == {}
