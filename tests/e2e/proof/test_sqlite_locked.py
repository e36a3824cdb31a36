"""End to end: another process holds an exclusive lock on the SQLite database for longer than its busy
timeout while ``receiptflow scan`` is recording results (and its workers are writing cache entries).
The writers wait and retry: the batch completes and no result is lost or turned into an error."""

from __future__ import annotations

import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.adapters.embedded.sqlite_db import BUSY_TIMEOUT_MS
from receiptflow.cli.scan import batch_id_for, collect_files
from receiptflow.models import BatchStatus, ScanResult, ScanStatus

from tests.support.known_receipts import write_receipts
from tests.support.scanning import clean_env, scan_cmd

pytestmark = pytest.mark.e2e

ITEMS = 10
HOLD_S = BUSY_TIMEOUT_MS / 1000 + 2  # past one busy timeout: the bounded retry has to carry it


def done_count(db: Path, batch_id: str) -> int:
    """Finished items of the batch, read as another process would."""
    return SqliteBatchStore(db).get_batch("local", batch_id).counts.done


def done_so_far(db: Path, batch_id: str) -> int:
    """Like ``done_count``, but 0 until the scan has created its database and batch."""
    try:
        return done_count(db, batch_id)
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def test_an_exclusive_lock_held_past_the_busy_timeout_loses_no_result(tmp_path: Path) -> None:
    # GIVEN a scan of ten receipts in progress
    folder = tmp_path / "in"
    names = write_receipts(folder, ITEMS)
    data = tmp_path / "data"
    db = data / "receiptflow.db"
    batch_id = batch_id_for(collect_files([str(folder)]), "local")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", data, "--workers", "2", "--out", out, "--quiet"),
        env=clean_env(RECEIPTFLOW_PROVIDER="local"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while done_so_far(db, batch_id) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the scan made no progress"
            time.sleep(0.02)

        # WHEN another connection takes an exclusive lock and holds it past the busy timeout
        blocker = sqlite3.connect(db, timeout=30, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            locked_at = time.monotonic()
            done_at_lock = done_count(db, batch_id)  # WAL: readers still read while a writer holds the lock
            time.sleep(HOLD_S)
            done_at_release = done_count(db, batch_id)
            still_running = proc.poll() is None
        finally:
            blocker.execute("COMMIT")
            blocker.close()
        held_s = time.monotonic() - locked_at
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()

    # THEN the scan completed with every result: none lost, none turned into a store error
    assert proc.returncode == 0, stderr
    # (the lock really stopped the writers: nothing was recorded while it was held, and work was left)
    assert held_s >= HOLD_S and still_running and done_at_lock == done_at_release < ITEMS
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r.source).name for r in rows) == sorted(names)
    assert all(r.status is ScanStatus.OK for r in rows), [r.error for r in rows if r.error]
    batch = SqliteBatchStore(db).get_batch("local", batch_id)
    assert batch.status is BatchStatus.SUCCEEDED and batch.counts.succeeded == ITEMS
