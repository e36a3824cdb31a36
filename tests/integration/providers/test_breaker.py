"""Functional: the shared circuit breaker over both stores (real SQLite file; DynamoDB under moto with the
table created from template.yaml), including 16 concurrent workers and separate processes."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore
from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
from receiptflow.errors import (
    CircuitOpenError,
    ProviderUnavailableError,
    StoreUnavailableError,
    UnreadableDocumentError,
)
from receiptflow.ports import BreakerPhase, BreakerState, BreakerStore
from receiptflow.providers.breaker import CircuitBreaker

from tests.support.aws import mocked_aws
from tests.support.clock import FakeClock
from tests.support.template import create_tables_from_template

WORKERS = 16


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[BreakerStore]:
    """Each breaker store, fresh."""
    if request.param == "sqlite":
        yield SqliteBreakerStore(tmp_path / "receiptflow.sqlite3")
        return
    with mocked_aws(monkeypatch):
        table = create_tables_from_template(dynamodb_client())["ReceiptflowTable"]
        yield DynamoBreakerStore(table)


def _breaker(store: BreakerStore, clock: FakeClock, **overrides: Any) -> CircuitBreaker:
    options: dict[str, Any] = {
        "failure_threshold": 5,
        "window_seconds": 60.0,
        "cooldown_seconds": 30.0,
        "probe_timeout_seconds": 120.0,
        **overrides,
    }
    return CircuitBreaker("textract", store, clock=clock, **options)


def _down() -> str:
    raise ProviderUnavailableError("503", "textract")


def _fail_times(breaker: CircuitBreaker, n: int) -> None:
    for _ in range(n):
        with pytest.raises(ProviderUnavailableError):
            breaker.call(_down)


# --- the store contract ---------------------------------------------------------------------------
def test_store_compare_and_set(store: BreakerStore) -> None:
    assert store.load("p") == BreakerState()
    first = BreakerState(phase=BreakerPhase.OPEN, failures=5, window_start=1.5, opened_at=2.25)
    assert store.compare_and_set("p", 0, first)
    assert not store.compare_and_set("p", 0, first)  # someone already wrote version 1
    loaded = store.load("p")
    assert loaded.version == 1 and loaded.phase is BreakerPhase.OPEN and loaded.opened_at == 2.25
    assert not store.compare_and_set("p", 7, BreakerState())
    assert store.compare_and_set("p", 1, BreakerState(phase=BreakerPhase.HALF_OPEN, probe_started_at=9.0))
    assert store.load("p").version == 2
    assert store.load("other") == BreakerState()  # breakers are independent


def test_store_cas_under_contention(store: BreakerStore) -> None:
    # GIVEN 16 workers racing to move the same version forward
    store.compare_and_set("p", 0, BreakerState())
    barrier = threading.Barrier(WORKERS)

    def race(_: int) -> bool:
        barrier.wait()
        return store.compare_and_set("p", 1, BreakerState(failures=1))

    with ThreadPoolExecutor(WORKERS) as pool:
        wins = list(pool.map(race, range(WORKERS)))
    # THEN exactly one wins
    assert wins.count(True) == 1
    assert store.load("p").version == 2


# --- the breaker ------------------------------------------------------------------------------------
def test_opens_after_n_failures_within_the_window(store: BreakerStore) -> None:
    clock = FakeClock(1000.0)
    breaker = _breaker(store, clock)
    _fail_times(breaker, 4)
    assert breaker.state().phase is BreakerPhase.CLOSED
    _fail_times(breaker, 1)
    assert breaker.state().phase is BreakerPhase.OPEN
    calls = 0

    def counted() -> str:
        nonlocal calls
        calls += 1
        return "ok"

    with pytest.raises(CircuitOpenError):
        breaker.call(counted)
    assert calls == 0  # rejected fast, provider untouched
    assert breaker.stats()["rejected"] == 1


def test_failures_outside_the_window_do_not_add_up(store: BreakerStore) -> None:
    clock = FakeClock(1000.0)
    breaker = _breaker(store, clock)
    _fail_times(breaker, 4)
    clock.advance(61)
    _fail_times(breaker, 4)
    assert breaker.state().phase is BreakerPhase.CLOSED
    assert breaker.state().failures == 4


def test_bad_images_do_not_count(store: BreakerStore) -> None:
    breaker = _breaker(store, FakeClock(1000.0), failure_threshold=1)

    def garbage() -> str:
        raise UnreadableDocumentError("not a receipt", "textract")

    for _ in range(3):
        with pytest.raises(UnreadableDocumentError):
            breaker.call(garbage)
    assert breaker.state().phase is BreakerPhase.CLOSED


def test_probe_success_closes_and_probe_failure_reopens(store: BreakerStore) -> None:
    clock = FakeClock(1000.0)
    breaker = _breaker(store, clock, failure_threshold=1)
    _fail_times(breaker, 1)
    clock.advance(31)
    _fail_times(breaker, 1)  # the probe fails
    state = breaker.state()
    assert state.phase is BreakerPhase.OPEN and state.opened_at == clock()
    with pytest.raises(CircuitOpenError):
        breaker.call(lambda: "ok")  # a fresh cool-down started
    clock.advance(31)
    assert breaker.call(lambda: "ok") == "ok"  # the probe succeeds
    assert breaker.state().phase is BreakerPhase.CLOSED
    assert breaker.call(lambda: "ok") == "ok"


def test_a_probe_that_never_reports_is_replaced(store: BreakerStore) -> None:
    clock = FakeClock(1000.0)
    breaker = _breaker(store, clock, failure_threshold=1, probe_timeout_seconds=50.0)
    _fail_times(breaker, 1)
    clock.advance(31)
    assert breaker.acquire().probe  # this worker then dies without recording
    with pytest.raises(CircuitOpenError):
        breaker.acquire()
    clock.advance(51)
    assert breaker.acquire().probe


def test_recovers_with_a_single_probe_under_16_concurrent_workers(store: BreakerStore) -> None:
    clock = FakeClock(1000.0)
    breaker = _breaker(store, clock)
    # GIVEN the provider is down and 16 workers call it at once
    with ThreadPoolExecutor(WORKERS) as pool:
        first = list(pool.map(lambda _: _outcome(breaker, _down), range(WORKERS)))
    assert breaker.state().phase is BreakerPhase.OPEN
    assert first.count("ProviderUnavailableError") >= 5  # at least N reached the provider
    # WHEN the circuit is open every worker fails fast
    with ThreadPoolExecutor(WORKERS) as pool:
        assert set(pool.map(lambda _: _outcome(breaker, _down), range(WORKERS))) == {"CircuitOpenError"}
    # WHEN the cool-down has passed and 16 workers arrive together at a provider that is back
    clock.advance(31)
    provider_calls = 0
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def healthy() -> str:
        nonlocal provider_calls
        with lock:
            provider_calls += 1
        time.sleep(1.0)  # the probe is still running while the others arrive
        return "ok"

    def worker(_: int) -> str:
        barrier.wait()
        return _outcome(breaker, healthy)

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(worker, range(WORKERS)))
    # THEN exactly one probe reached the provider, the rest were rejected, and the circuit closed
    assert provider_calls == 1
    assert results.count("ok") == 1 and results.count("CircuitOpenError") == WORKERS - 1
    assert breaker.state().phase is BreakerPhase.CLOSED
    with ThreadPoolExecutor(WORKERS) as pool:
        assert set(pool.map(lambda _: _outcome(breaker, lambda: "ok"), range(WORKERS))) == {"ok"}


def _outcome(breaker: CircuitBreaker, fn: Callable[[], str]) -> str:
    try:
        return breaker.call(fn)
    except Exception as error:  # the test records which error each worker saw
        return type(error).__name__


# --- across processes (SQLite) ------------------------------------------------------------------------
def _claim_in_process(db_path: str, now: float, start: Any, results: Any) -> None:
    breaker = CircuitBreaker(
        "textract",
        SqliteBreakerStore(Path(db_path)),
        failure_threshold=1,
        window_seconds=60,
        cooldown_seconds=30,
        clock=lambda: now,
    )
    start.wait()
    try:
        results.put("probe" if breaker.acquire().probe else "closed")
    except CircuitOpenError:
        results.put("rejected")


def test_single_probe_across_processes(tmp_path: Path) -> None:
    db_path = tmp_path / "receiptflow.sqlite3"
    store = SqliteBreakerStore(db_path)
    store.compare_and_set("textract", 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=1000.0))
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=_claim_in_process, args=(str(db_path), 1031.0, start, results))
        for _ in range(6)
    ]
    for process in processes:
        process.start()
    start.set()
    outcomes = sorted(results.get(timeout=30) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    assert outcomes == ["probe"] + ["rejected"] * 5


# --- store failures -------------------------------------------------------------------------------------
class _BrokenStore:
    def load(self, name: str) -> BreakerState:
        raise StoreUnavailableError("database is locked")

    def compare_and_set(self, name: str, expected_version: int, new: BreakerState) -> bool:
        raise StoreUnavailableError("database is locked")


def test_unavailable_store_fails_open() -> None:
    breaker = CircuitBreaker(
        "textract", _BrokenStore(), failure_threshold=1, window_seconds=60, cooldown_seconds=30
    )
    assert breaker.call(lambda: "ok") == "ok"
    with pytest.raises(ProviderUnavailableError):
        breaker.call(_down)
    assert breaker.call(lambda: "ok") == "ok"
