"""SQLite specifics of ``SqliteBatchStore`` (the port's contract suite lives in tests/contract):
durability across connections, processes and threads, and busy/locked databases."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from receiptflow.adapters.embedded import sqlite_db
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.errors import StoreUnavailableError
from receiptflow.models import BatchStatus, ItemStatus, ScanError, ScanResult, ScanStatus

from tests.unit.local.conftest import new_batch


def ok(source: str, cached: bool = False) -> ScanResult:
    return ScanResult(source=source, status=ScanStatus.OK, cached=cached, provider="local", cost_usd=0.01)


def failed(source: str) -> ScanResult:
    return ScanResult(
        source=source, status=ScanStatus.ERROR, error=ScanError(code="corrupt_image", message="x")
    )


def test_connection_uses_wal_busy_timeout_and_foreign_keys(db_path: Path) -> None:
    conn = sqlite_db.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == sqlite_db.BUSY_TIMEOUT_MS
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_schema_creation_is_idempotent_and_data_survives_reopening(db_path: Path) -> None:
    # GIVEN a batch written through one store
    first = SqliteBatchStore(db_path)
    new_batch(first, "b1", 3)
    first.finish_item("b1", "i000", ok("s0.jpg", cached=True))
    # WHEN the file is opened again (schema applied again)
    second = SqliteBatchStore(db_path)
    # THEN everything is there, counts included
    batch = second.get_batch("local", "b1")
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.cached) == (3, 1, 1)
    assert second.get_item("b1", "i000").result == ok("s0.jpg", cached=True)


def test_counts_follow_every_transition(store: SqliteBatchStore) -> None:
    new_batch(store, "b1", 4)
    assert store.claim_item("b1", "i000")
    assert store.finish_item("b1", "i000", ok("s0.jpg", cached=True))
    assert store.finish_item("b1", "i001", failed("s1.jpg"))
    assert store.claim_item("b1", "i002")
    assert store.cancel_unfinished("b1") == 2
    counts = store.get_batch("local", "b1").counts
    assert (counts.succeeded, counts.failed, counts.cancelled, counts.cached, counts.done) == (1, 1, 2, 1, 4)
    assert [i.item_id for i in store.reset_cancelled("b1")] == ["i002", "i003"]
    assert [i.item_id for i in store.reset_failed("b1")] == ["i001"]
    counts = store.get_batch("local", "b1").counts
    assert (counts.succeeded, counts.failed, counts.cancelled, counts.cached, counts.pending) == (
        1,
        0,
        0,
        1,
        3,
    )
    assert store.get_batch("local", "b1").cost_usd == pytest.approx(0.01)


def test_concurrent_finishes_from_threads_and_connections_count_once(db_path: Path) -> None:
    # GIVEN 20 items and 8 threads, each with its own store (own connections), all finishing every item
    new_batch(SqliteBatchStore(db_path), "b1", 20)
    stores = [SqliteBatchStore(db_path) for _ in range(8)]
    barrier = threading.Barrier(len(stores))

    def finish_all(s: SqliteBatchStore) -> int:
        barrier.wait()
        return sum(s.finish_item("b1", f"i{i:03d}", ok(f"s{i}.jpg", cached=i % 2 == 0)) for i in range(20))

    with ThreadPoolExecutor(len(stores)) as pool:
        wins = sum(pool.map(finish_all, stores))
    # THEN each item was recorded exactly once and the counters did not drift
    assert wins == 20
    counts = SqliteBatchStore(db_path).get_batch("local", "b1").counts
    assert (counts.succeeded, counts.cached, counts.done) == (20, 10, 20)


def test_next_seq_is_unique_across_stores(db_path: Path) -> None:
    new_batch(SqliteBatchStore(db_path), "b1", 0)
    stores = [SqliteBatchStore(db_path) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        seqs = list(pool.map(lambda i: stores[i % 4].next_seq("b1"), range(100)))
    assert sorted(seqs) == list(range(1, 101))


def _hold_write_lock(db_path: Path, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    started.set()
    threading.Event().wait(seconds)
    conn.execute("ROLLBACK")
    conn.close()


def test_a_busy_database_is_waited_for_and_the_result_is_kept(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a short busy timeout and another connection holding the write lock for a while
    monkeypatch.setattr(sqlite_db, "BUSY_TIMEOUT_MS", 50)
    store = SqliteBatchStore(db_path)
    new_batch(store, "b1", 1)
    store.db.close()  # reconnect with the short timeout
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.4, started))
    holder.start()
    started.wait(5)
    # WHEN a result is recorded meanwhile
    recorded = store.finish_item("b1", "i000", ok("s0.jpg"))
    holder.join()
    # THEN the bounded retries outlast the lock and nothing is lost
    assert recorded
    assert store.get_item("b1", "i000").status is ItemStatus.SUCCEEDED
    assert store.get_batch("local", "b1").counts.succeeded == 1


def test_a_database_locked_beyond_the_retries_raises_store_unavailable(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_db, "BUSY_TIMEOUT_MS", 10)
    monkeypatch.setattr(sqlite_db, "BUSY_RETRIES", 2)
    store = SqliteBatchStore(db_path)
    new_batch(store, "b1", 1)
    store.db.close()
    started = threading.Event()
    holder = threading.Thread(target=_hold_write_lock, args=(db_path, 1.5, started))
    holder.start()
    started.wait(5)
    with pytest.raises(StoreUnavailableError) as raised:
        store.finish_item("b1", "i000", ok("s0.jpg"))
    holder.join()
    assert raised.value.retryable
    # the failed attempt changed nothing, and a retry after the lock is gone succeeds
    assert store.get_item("b1", "i000").status is ItemStatus.PENDING
    assert store.finish_item("b1", "i000", ok("s0.jpg"))


def test_set_batch_status_clears_and_sets_timestamps(store: SqliteBatchStore) -> None:
    new_batch(store, "b1", 0)
    done = store.set_batch_status(
        "b1", BatchStatus.SUCCEEDED, finished_at=store.get_batch("local", "b1").created_at
    )
    assert done.finished_at is not None
    running = store.set_batch_status("b1", BatchStatus.RUNNING, finished_at=None)
    assert running.finished_at is None


def test_store_is_picklable_into_other_processes(db_path: Path) -> None:
    import pickle

    store = SqliteBatchStore(db_path)
    new_batch(store, "b1", 1)
    copy = pickle.loads(pickle.dumps(store))
    assert copy.get_batch("local", "b1").counts.total == 1
