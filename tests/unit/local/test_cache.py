"""``SqliteResultCache``: TTL with an injected clock (no sleeping), replacement, purge, pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

from receiptflow.adapters.embedded.cache import SqliteResultCache
from receiptflow.models import ScanResult, ScanStatus

from tests.support.clock import FakeClock

DAY = 86400


def result(source: str = "a.jpg") -> ScanResult:
    return ScanResult(source=source, sha256="ab" * 32, status=ScanStatus.OK, provider="local")


def test_a_stored_result_is_served_until_it_expires(db_path: Path) -> None:
    clock = FakeClock(1_000_000.0)
    cache = SqliteResultCache(db_path, clock=clock)
    cache.put("k", result(), ttl_seconds=7 * DAY)
    clock.advance(7 * DAY - 1)
    assert cache.get("k") == result()
    clock.advance(1)  # exactly at expiry: expired
    assert cache.get("k") is None


def test_missing_key_is_none(db_path: Path) -> None:
    assert SqliteResultCache(db_path).get("nope") is None


def test_put_replaces_and_renews(db_path: Path) -> None:
    clock = FakeClock(0.0)
    cache = SqliteResultCache(db_path, clock=clock)
    cache.put("k", result("old.jpg"), ttl_seconds=10)
    clock.advance(9)
    cache.put("k", result("new.jpg"), ttl_seconds=10)
    clock.advance(5)
    stored = cache.get("k")
    assert stored is not None and stored.source == "new.jpg"


def test_expired_rows_are_purged(db_path: Path) -> None:
    clock = FakeClock(0.0)
    cache = SqliteResultCache(db_path, clock=clock)
    for i in range(5):
        cache.put(f"old{i}", result(), ttl_seconds=10)
    cache.put("fresh", result(), ttl_seconds=1000)
    clock.advance(20)
    assert cache.purge_expired() == 5
    rows = cache.db.read(lambda conn: conn.execute("SELECT key FROM result_cache").fetchall())
    assert [r[0] for r in rows] == ["fresh"]


def test_puts_purge_expired_rows_on_their_own(db_path: Path) -> None:
    clock = FakeClock(0.0)
    cache = SqliteResultCache(db_path, clock=clock)
    cache.put("old", result(), ttl_seconds=1)  # first put of this cache object purges
    clock.advance(5)
    fresh = SqliteResultCache(db_path, clock=clock)
    fresh.put("new", result(), ttl_seconds=100)
    rows = fresh.db.read(lambda conn: conn.execute("SELECT key FROM result_cache").fetchall())
    assert [r[0] for r in rows] == ["new"]


def test_a_pickled_cache_reads_the_same_file(db_path: Path) -> None:
    cache = SqliteResultCache(db_path)
    cache.put("k", result(), ttl_seconds=100)
    assert pickle.loads(pickle.dumps(cache)).get("k") == result()
