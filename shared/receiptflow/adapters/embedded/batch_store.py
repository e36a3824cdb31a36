"""``BatchStore`` on SQLite: batches with live counters, items with their results and corrections.

Every item transition and its counter change happen in one ``BEGIN IMMEDIATE`` transaction, guarded
by the item's current status, so a retried or duplicated worker can never make the counts drift.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from receiptflow.adapters.embedded.sqlite_db import SqliteDatabase
from receiptflow.errors import ConflictError, NotFoundError
from receiptflow.models import (
    Batch,
    BatchCounts,
    BatchItem,
    BatchOptions,
    BatchStatus,
    ItemStatus,
    ScanResult,
    ScanStatus,
    utcnow,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    batch_id      TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    expected_files INTEGER,
    options       TEXT NOT NULL DEFAULT '{}',
    total         INTEGER NOT NULL DEFAULT 0,
    succeeded     INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    cancelled     INTEGER NOT NULL DEFAULT 0,
    cached        INTEGER NOT NULL DEFAULT 0,
    cost_usd      REAL NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT,
    execution_arn TEXT,
    seq           INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS batches_by_tenant ON batches (tenant_id, created_at);
CREATE TABLE IF NOT EXISTS items (
    batch_id   TEXT NOT NULL REFERENCES batches (batch_id) ON DELETE CASCADE,
    item_id    TEXT NOT NULL,
    source     TEXT NOT NULL,
    blob_key   TEXT,
    sha256     TEXT,
    status     TEXT NOT NULL,
    result     TEXT,
    correction TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    reviewed_at TEXT,
    PRIMARY KEY (batch_id, item_id)
);
CREATE INDEX IF NOT EXISTS items_by_status ON items (batch_id, status, item_id);
"""

# Columns ``set_batch_status`` may set besides the status.
_SETTABLE = {"name", "expected_files", "started_at", "finished_at", "execution_arn", "cost_usd"}
_UNFINISHED = (ItemStatus.PENDING.value, ItemStatus.RUNNING.value)
_ITEM_STATUS_FOR = {
    ScanStatus.OK: ItemStatus.SUCCEEDED,
    ScanStatus.ERROR: ItemStatus.FAILED,
    ScanStatus.CANCELLED: ItemStatus.CANCELLED,
}


def _ts(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def _column_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _batch(row: sqlite3.Row) -> Batch:
    return Batch(
        batch_id=row["batch_id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        status=BatchStatus(row["status"]),
        expected_files=row["expected_files"],
        options=BatchOptions.model_validate_json(row["options"]),
        counts=BatchCounts(
            total=row["total"],
            succeeded=row["succeeded"],
            failed=row["failed"],
            cancelled=row["cancelled"],
            cached=row["cached"],
        ),
        cost_usd=row["cost_usd"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        started_at=_parse_ts(row["started_at"]),
        finished_at=_parse_ts(row["finished_at"]),
        execution_arn=row["execution_arn"],
        last_seq=row["seq"],
    )


def _item(row: sqlite3.Row) -> BatchItem:
    return BatchItem(
        batch_id=row["batch_id"],
        item_id=row["item_id"],
        source=row["source"],
        blob_key=row["blob_key"],
        sha256=row["sha256"],
        status=ItemStatus(row["status"]),
        result=ScanResult.model_validate_json(row["result"]) if row["result"] else None,
        correction=json.loads(row["correction"]) if row["correction"] else None,
        reviewed_at=_parse_ts(row["reviewed_at"]),
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        updated_at=dt.datetime.fromisoformat(row["updated_at"]),
    )


def _counter_deltas(status: ItemStatus, result: ScanResult | None) -> dict[str, int]:
    """What one item in ``status`` with ``result`` contributes to the batch counters."""
    deltas = {"succeeded": 0, "failed": 0, "cancelled": 0, "cached": 0}
    if status.terminal:
        deltas[status.value] = 1
        if result is not None and result.cached:
            deltas["cached"] = 1
    return deltas


_ADDED_COLUMNS = {"items": {"reviewed_at": "TEXT"}}  # columns newer than the first schema


def _missing_columns(conn: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(table, column, type) of every ``_ADDED_COLUMNS`` entry the database lacks."""
    missing = []
    for table, columns in _ADDED_COLUMNS.items():
        present = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        missing += [(table, name, kind) for name, kind in columns.items() if name not in present]
    return missing


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Bring a database made by an older version up to ``SCHEMA`` (``CREATE TABLE IF NOT EXISTS`` keeps
    an existing table as it was)."""
    for table, name, kind in _missing_columns(conn):
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


class SqliteBatchStore:
    """``ports.BatchStore`` on one SQLite file (shared with the other embedded stores)."""

    def __init__(self, db_path: Path) -> None:
        self.db = SqliteDatabase(db_path, SCHEMA)
        if self.db.read(_missing_columns):  # a write lock only when an old database needs the upgrade
            self.db.transaction(_add_missing_columns)

    # --- batches ---------------------------------------------------------------------------------
    def create_batch(self, batch: Batch) -> None:
        """Insert a new batch; ``ConflictError`` if the id exists."""

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO batches (batch_id, tenant_id, name, status, expected_files, options,"
                    " cost_usd, created_at, started_at, finished_at, execution_arn)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        batch.batch_id,
                        batch.tenant_id,
                        batch.name,
                        batch.status.value,
                        batch.expected_files,
                        batch.options.model_dump_json(),
                        batch.cost_usd,
                        _ts(batch.created_at),
                        _ts(batch.started_at),
                        _ts(batch.finished_at),
                        batch.execution_arn,
                    ),
                )
            except sqlite3.IntegrityError as e:
                raise ConflictError(f"batch {batch.batch_id} already exists") from e

        self.db.transaction(insert)

    def _get_batch_row(self, conn: sqlite3.Connection, batch_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM batches WHERE batch_id = ?", (batch_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"batch {batch_id} not found")
        return row

    def get_batch(self, tenant_id: str, batch_id: str) -> Batch:
        """The batch with live counts; another tenant's batch raises ``NotFoundError``."""
        row = self.db.read(lambda conn: self._get_batch_row(conn, batch_id))
        if row["tenant_id"] != tenant_id:
            raise NotFoundError(f"batch {batch_id} not found")
        return _batch(row)

    def list_batches(self, tenant_id: str, limit: int = 50) -> list[Batch]:
        """The tenant's batches, newest first."""
        rows = self.db.read(
            lambda conn: conn.execute(
                "SELECT * FROM batches WHERE tenant_id = ? ORDER BY created_at DESC, batch_id DESC LIMIT ?",
                (tenant_id, limit),
            ).fetchall()
        )
        return [_batch(r) for r in rows]

    def set_batch_status(
        self,
        batch_id: str,
        status: BatchStatus,
        *,
        expected: Sequence[BatchStatus] | None = None,
        **fields: Any,
    ) -> Batch:
        """Move the batch to ``status`` and set extra columns; ``ConflictError`` unless the current
        status is in ``expected``."""
        unknown = set(fields) - _SETTABLE
        if unknown:
            raise ValueError(f"cannot set batch columns {sorted(unknown)}")

        def update(conn: sqlite3.Connection) -> Batch:
            row = self._get_batch_row(conn, batch_id)
            if expected is not None and BatchStatus(row["status"]) not in set(expected):
                raise ConflictError(f"batch {batch_id} is {row['status']}, not {[s.value for s in expected]}")
            columns = {"status": status.value, **{k: _column_value(v) for k, v in fields.items()}}
            assignments = ", ".join(f"{name} = ?" for name in columns)
            conn.execute(
                f"UPDATE batches SET {assignments} WHERE batch_id = ?", (*columns.values(), batch_id)
            )
            return _batch(self._get_batch_row(conn, batch_id))

        return self.db.transaction(update)

    def next_seq(self, batch_id: str) -> int:
        """Next per-batch event sequence number (1, 2, 3, ... atomically)."""

        def bump(conn: sqlite3.Connection) -> int:
            row = conn.execute(
                "UPDATE batches SET seq = seq + 1 WHERE batch_id = ? RETURNING seq", (batch_id,)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"batch {batch_id} not found")
            return int(row[0])

        return self.db.transaction(bump)

    # --- items -----------------------------------------------------------------------------------
    def add_items(self, items: Sequence[BatchItem]) -> int:
        """Add items (idempotent per ``(batch_id, item_id)``); returns how many were new."""

        def insert(conn: sqlite3.Connection) -> int:
            added: dict[str, int] = {}
            for item in items:
                try:
                    cur = conn.execute(
                        "INSERT OR IGNORE INTO items (batch_id, item_id, source, blob_key, sha256, status,"
                        " result, correction, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            item.batch_id,
                            item.item_id,
                            item.source,
                            item.blob_key,
                            item.sha256,
                            ItemStatus.PENDING.value,
                            None,
                            json.dumps(item.correction) if item.correction else None,
                            _ts(item.created_at),
                            _ts(item.updated_at),
                        ),
                    )
                except sqlite3.IntegrityError as e:  # foreign key: the batch does not exist
                    raise NotFoundError(f"batch {item.batch_id} not found") from e
                added[item.batch_id] = added.get(item.batch_id, 0) + cur.rowcount
            for batch_id, n in added.items():
                if n:
                    conn.execute("UPDATE batches SET total = total + ? WHERE batch_id = ?", (n, batch_id))
            return sum(added.values())

        return self.db.transaction(insert)

    def _get_item_row(self, conn: sqlite3.Connection, batch_id: str, item_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM items WHERE batch_id = ? AND item_id = ?", (batch_id, item_id)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"item {item_id} of batch {batch_id} not found")
        return row

    def get_item(self, batch_id: str, item_id: str) -> BatchItem:
        """One item; ``NotFoundError`` when absent."""
        return _item(self.db.read(lambda conn: self._get_item_row(conn, batch_id, item_id)))

    def list_items(
        self,
        batch_id: str,
        *,
        status: ItemStatus | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[BatchItem]:
        """Items ordered by ``item_id``, starting after the ``after`` cursor."""
        sql = "SELECT * FROM items WHERE batch_id = ? AND item_id > ?"
        params: list[Any] = [batch_id, after or ""]
        if status is not None:
            sql += " AND status = ?"
            params.append(status.value)
        sql += " ORDER BY item_id LIMIT ?"
        params.append(limit)
        rows = self.db.read(lambda conn: conn.execute(sql, params).fetchall())
        return [_item(r) for r in rows]

    def claim_item(self, batch_id: str, item_id: str) -> bool:
        """Atomically move a pending item to running; False when it was not pending."""

        def claim(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE items SET status = ?, updated_at = ?"
                " WHERE batch_id = ? AND item_id = ? AND status = ?",
                (ItemStatus.RUNNING.value, _ts(utcnow()), batch_id, item_id, ItemStatus.PENDING.value),
            )
            if cur.rowcount == 0:
                self._get_item_row(conn, batch_id, item_id)  # NotFoundError when absent
                return False
            return True

        return self.db.transaction(claim)

    def finish_item(self, batch_id: str, item_id: str, result: ScanResult) -> bool:
        """Record the final result of a non-terminal item and bump the counters in the same
        transaction. False (nothing changed) when the item was already terminal."""
        status = _ITEM_STATUS_FOR[result.status]
        payload = result.model_dump_json()

        def finish(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE items SET status = ?, result = ?, sha256 = COALESCE(?, sha256), updated_at = ?"
                " WHERE batch_id = ? AND item_id = ? AND status IN (?, ?)",
                (status.value, payload, result.sha256, _ts(utcnow()), batch_id, item_id, *_UNFINISHED),
            )
            if cur.rowcount == 0:
                self._get_item_row(conn, batch_id, item_id)
                return False
            d = _counter_deltas(status, result)
            conn.execute(
                "UPDATE batches SET succeeded = succeeded + ?, failed = failed + ?,"
                " cancelled = cancelled + ?, cached = cached + ?, cost_usd = cost_usd + ? WHERE batch_id = ?",
                (d["succeeded"], d["failed"], d["cancelled"], d["cached"], result.cost_usd, batch_id),
            )
            return True

        return self.db.transaction(finish)

    def cancel_pending(self, batch_id: str) -> int:
        """Mark every pending item cancelled (running ones finish); returns how many."""
        return self._cancel(batch_id, (ItemStatus.PENDING.value,))

    def cancel_unfinished(self, batch_id: str) -> int:
        """Mark every pending/running item cancelled; returns how many."""
        return self._cancel(batch_id, _UNFINISHED)

    def _cancel(self, batch_id: str, statuses: tuple[str, ...]) -> int:
        marks = ", ".join("?" for _ in statuses)

        def cancel(conn: sqlite3.Connection) -> int:
            n = conn.execute(
                f"UPDATE items SET status = ?, updated_at = ? WHERE batch_id = ? AND status IN ({marks})",
                (ItemStatus.CANCELLED.value, _ts(utcnow()), batch_id, *statuses),
            ).rowcount
            if n:
                conn.execute("UPDATE batches SET cancelled = cancelled + ? WHERE batch_id = ?", (n, batch_id))
            return n

        return self.db.transaction(cancel)

    def release_running(self, batch_id: str) -> int:
        """Move items left running by a crashed worker back to pending; returns how many."""

        def release(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE items SET status = ?, updated_at = ? WHERE batch_id = ? AND status = ?",
                (ItemStatus.PENDING.value, _ts(utcnow()), batch_id, ItemStatus.RUNNING.value),
            ).rowcount

        return self.db.transaction(release)

    def _requeue(self, batch_id: str, status: ItemStatus) -> list[BatchItem]:
        """Move every ``status`` (terminal) item back to pending, taking its counts off the batch
        (money already spent stays in ``cost_usd``)."""

        def requeue(conn: sqlite3.Connection) -> list[BatchItem]:
            rows = conn.execute(
                "SELECT * FROM items WHERE batch_id = ? AND status = ? ORDER BY item_id",
                (batch_id, status.value),
            ).fetchall()
            if not rows:
                return []
            items = [_item(r) for r in rows]
            cached = sum(1 for i in items if i.result is not None and i.result.cached)
            conn.execute(
                "UPDATE items SET status = ?, result = NULL, reviewed_at = NULL, updated_at = ?"
                " WHERE batch_id = ? AND status = ?",
                (ItemStatus.PENDING.value, _ts(utcnow()), batch_id, status.value),
            )
            conn.execute(
                f"UPDATE batches SET {status.value} = {status.value} - ?, cached = cached - ?"
                " WHERE batch_id = ?",
                (len(items), cached, batch_id),
            )
            reset = {"status": ItemStatus.PENDING, "result": None, "reviewed_at": None}
            return [i.model_copy(update=reset) for i in items]

        return self.db.transaction(requeue)

    def reset_failed(self, batch_id: str) -> list[BatchItem]:
        """Move failed items back to pending (counts follow); returns them."""
        return self._requeue(batch_id, ItemStatus.FAILED)

    def reset_cancelled(self, batch_id: str) -> list[BatchItem]:
        """Move cancelled items back to pending (counts follow) so a resumed run scans them."""
        return self._requeue(batch_id, ItemStatus.CANCELLED)

    def set_correction(self, batch_id: str, item_id: str, correction: dict[str, Any]) -> BatchItem:
        """Store a user correction beside the machine result (both kept)."""
        payload = json.dumps(correction, default=str)

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            conn.execute(
                "UPDATE items SET correction = ?, updated_at = ? WHERE batch_id = ? AND item_id = ?",
                (payload, _ts(utcnow()), batch_id, item_id),
            )
            return self._get_item_row(conn, batch_id, item_id)

        return _item(self.db.transaction(update))

    def set_reviewed(self, batch_id: str, item_id: str, reviewed: bool) -> BatchItem:
        """Mark the item reviewed (now) or not."""
        now = utcnow()

        def update(conn: sqlite3.Connection) -> sqlite3.Row:
            conn.execute(
                "UPDATE items SET reviewed_at = ?, updated_at = ? WHERE batch_id = ? AND item_id = ?",
                (_ts(now) if reviewed else None, _ts(now), batch_id, item_id),
            )
            return self._get_item_row(conn, batch_id, item_id)

        return _item(self.db.transaction(update))
