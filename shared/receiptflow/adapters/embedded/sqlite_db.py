"""SQLite plumbing shared by the embedded stores.

One file holds batches, items, the result cache and breaker state. Every connection runs in WAL mode
with ``synchronous=NORMAL``, a ``busy_timeout`` and foreign keys on. Connections are per thread (and
per process: a forked child opens its own). Each store hands its schema to :class:`SqliteDatabase`,
which applies it idempotently on every new connection. ``database is locked``/busy errors that outlast
the busy timeout are retried a bounded number of times, then surface as ``StoreUnavailableError``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from receiptflow.errors import StoreUnavailableError
from receiptflow.settings import Settings

T = TypeVar("T")

DB_FILENAME = "receiptflow.db"
BUSY_TIMEOUT_MS = 5000
BUSY_RETRIES = 8
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def default_db_path(settings: Settings) -> Path:
    """The one SQLite file under the data dir that every embedded store shares."""
    return settings.data_dir / DB_FILENAME


def is_busy(error: sqlite3.Error) -> bool:
    """True when ``error`` is SQLITE_BUSY/SQLITE_LOCKED (any extended code), i.e. worth retrying."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in _BUSY_CODES


def connect(db_path: Path, schema: str = "") -> sqlite3.Connection:
    """A new autocommit connection with the house pragmas, ``schema`` applied (idempotent DDL)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(db_path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    _with_busy_retry(lambda: _setup(conn, schema))
    return conn


def _setup(conn: sqlite3.Connection, schema: str) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    if schema:
        conn.executescript(schema)


def _with_busy_retry(fn: Callable[[], T]) -> T:
    """Run ``fn``; on busy/locked wait with growing backoff and retry, at most ``BUSY_RETRIES`` times."""
    retries = BUSY_RETRIES
    delay = 0.01
    for attempt in range(retries + 1):
        try:
            return fn()
        except sqlite3.OperationalError as e:
            if not is_busy(e):
                raise
            if attempt == retries:
                raise StoreUnavailableError(f"SQLite database stayed busy: {e}") from e
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    raise AssertionError("unreachable")  # pragma: no cover


class SqliteDatabase:
    """Per-thread connections to one SQLite file, plus retried transactions.

    Picklable: only the path and schema travel, so a worker process opens its own connections.
    """

    def __init__(self, db_path: Path, schema: str = "") -> None:
        self.db_path = Path(db_path)
        self.schema = schema
        self._local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        return {"db_path": self.db_path, "schema": self.schema}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.db_path = state["db_path"]
        self.schema = state["schema"]
        self._local = threading.local()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use; reopened after a fork)."""
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != pid:
            conn = connect(self.db_path, self.schema)
            self._local.conn = conn
            self._local.pid = pid
        return conn

    def close(self) -> None:
        """Close this thread's connection, if any."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "pid", None) == os.getpid():
            conn.close()
        self._local.conn = None

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(conn)`` in one write transaction (``BEGIN IMMEDIATE``), retried whole when busy.

        ``fn`` must only touch the database (it may run more than once)."""

        def attempt() -> T:
            with self._immediate() as conn:
                return fn(conn)

        return _with_busy_retry(attempt)

    def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run the read-only ``fn(conn)``, retried when busy."""
        return _with_busy_retry(lambda: fn(self.conn()))
