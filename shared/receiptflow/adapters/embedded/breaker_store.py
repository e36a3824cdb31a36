"""Circuit-breaker state in SQLite, shared by every thread and process using the same database file.

Compare-and-set is ``UPDATE ... WHERE version = ?`` (or an insert for the first write) inside one
``BEGIN IMMEDIATE`` transaction, in WAL mode with a busy timeout (see ``sqlite_db``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from receiptflow.adapters.embedded.sqlite_db import SqliteDatabase
from receiptflow.ports import BreakerPhase, BreakerState

SCHEMA = """
CREATE TABLE IF NOT EXISTS breaker_state (
    name TEXT PRIMARY KEY,
    phase TEXT NOT NULL,
    failures INTEGER NOT NULL,
    window_start REAL NOT NULL,
    opened_at REAL NOT NULL,
    probe_started_at REAL NOT NULL,
    version INTEGER NOT NULL
);
"""
_COLUMNS = "phase, failures, window_start, opened_at, probe_started_at, version"


class SqliteBreakerStore:
    """``BreakerStore`` over one SQLite file (the embedded stores' database)."""

    def __init__(self, db_path: Path) -> None:
        self.db = SqliteDatabase(Path(db_path), SCHEMA)

    def load(self, name: str) -> BreakerState:
        """Current state; a fresh closed state when none is stored."""

        def read(conn: sqlite3.Connection) -> BreakerState:
            row = conn.execute(f"SELECT {_COLUMNS} FROM breaker_state WHERE name = ?", (name,)).fetchone()
            if row is None:
                return BreakerState()
            return BreakerState(
                phase=BreakerPhase(row["phase"]),
                failures=int(row["failures"]),
                window_start=float(row["window_start"]),
                opened_at=float(row["opened_at"]),
                probe_started_at=float(row["probe_started_at"]),
                version=int(row["version"]),
            )

        return self.db.read(read)

    def compare_and_set(self, name: str, expected_version: int, new: BreakerState) -> bool:
        """Store ``new`` (version ``expected_version + 1``) if the stored version is ``expected_version``."""
        values = (
            new.phase.value,
            new.failures,
            new.window_start,
            new.opened_at,
            new.probe_started_at,
            expected_version + 1,
        )

        def write(conn: sqlite3.Connection) -> bool:
            if expected_version == 0:
                cursor = conn.execute(
                    f"INSERT INTO breaker_state (name, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(name) DO NOTHING",
                    (name, *values),
                )
            else:
                cursor = conn.execute(
                    "UPDATE breaker_state SET phase = ?, failures = ?, window_start = ?, opened_at = ?,"
                    " probe_started_at = ?, version = ? WHERE name = ? AND version = ?",
                    (*values, name, expected_version),
                )
            return cursor.rowcount == 1

        return self.db.transaction(write)
