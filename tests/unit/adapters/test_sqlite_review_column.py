"""A database made before ``reviewed_at`` existed is upgraded in place when the store opens it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from receiptflow.adapters.embedded.batch_store import SCHEMA, SqliteBatchStore
from receiptflow.models import Batch, BatchItem


def test_old_database_gains_the_reviewed_column_and_keeps_its_rows(tmp_path: Path) -> None:
    db = tmp_path / "receiptflow.db"
    old_schema = SCHEMA.replace("    reviewed_at TEXT,\n", "")
    assert old_schema != SCHEMA
    conn = sqlite3.connect(db)
    conn.executescript(old_schema)
    conn.close()
    first = SqliteBatchStore(db)
    first.create_batch(Batch(batch_id="b1", tenant_id="t"))
    first.add_items([BatchItem(batch_id="b1", item_id="i1", source="a.jpg")])

    again = SqliteBatchStore(db)  # opening twice is harmless
    assert again.get_item("b1", "i1").reviewed is False
    assert again.set_reviewed("b1", "i1", True).reviewed is True
