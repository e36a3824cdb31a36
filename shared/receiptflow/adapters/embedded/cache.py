"""``ResultCache`` on SQLite: scan results by content key, each with an absolute expiry time."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from receiptflow.adapters.embedded.sqlite_db import SqliteDatabase
from receiptflow.models import ScanResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS result_cache (
    key        TEXT PRIMARY KEY,
    result     TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS result_cache_expiry ON result_cache (expires_at);
"""

PURGE_EVERY_PUTS = 256


class SqliteResultCache:
    """``ports.ResultCache``: an expired entry is never served; old rows are purged every few puts.

    ``clock`` returns epoch seconds (injectable so tests control time). Picklable, so worker
    processes can share it (each opens its own connection)."""

    def __init__(self, db_path: Path, clock: Callable[[], float] = time.time) -> None:
        self.db = SqliteDatabase(db_path, SCHEMA)
        self.clock = clock
        self._puts = 0

    def __getstate__(self) -> dict[str, Any]:
        return {"db": self.db, "clock": self.clock, "_puts": 0}

    def get(self, key: str) -> ScanResult | None:
        """The stored result, or None when absent or expired."""
        now = self.clock()
        row = self.db.read(
            lambda conn: conn.execute(
                "SELECT result FROM result_cache WHERE key = ? AND expires_at > ?", (key, now)
            ).fetchone()
        )
        return ScanResult.model_validate_json(row[0]) if row is not None else None

    def put(self, key: str, result: ScanResult, ttl_seconds: int) -> None:
        """Store ``result`` until ``ttl_seconds`` from now (replacing any older entry)."""
        now = self.clock()
        payload = result.model_dump_json()
        self._puts += 1
        purge = self._puts % PURGE_EVERY_PUTS == 1

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO result_cache (key, result, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (key, payload, now, now + ttl_seconds),
            )
            if purge:
                conn.execute("DELETE FROM result_cache WHERE expires_at <= ?", (now,))

        self.db.transaction(write)

    def purge_expired(self) -> int:
        """Delete every expired row now; returns how many."""
        now = self.clock()
        return self.db.transaction(
            lambda conn: conn.execute("DELETE FROM result_cache WHERE expires_at <= ?", (now,)).rowcount
        )
