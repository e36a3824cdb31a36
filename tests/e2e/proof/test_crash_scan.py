"""End to end: ``receiptflow scan`` killed with SIGKILL (the whole process group: the main process and
its workers, mid-OCR and mid-write) three times at about 25 %, 50 % and 75 % of a batch, then run again.

Beyond ``tests/e2e/cli/test_scan_cli.py`` (one kill of one worker run): repeated kills of a two-worker run,
so some land while results and cache entries are being written; afterwards the database is intact, every
image is in the output exactly once, finished results never change, and the counters match the rows.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.cli.scan import batch_id_for, collect_files
from receiptflow.models import BatchStatus, ScanResult, ScanStatus

from tests.support.known_receipts import write_receipts
from tests.support.scanning import clean_env, run_scan, scan_cmd

pytestmark = pytest.mark.e2e

ITEMS = 16
KILL_AT = (4, 8, 12)
DEADLINE_S = 180.0


def finished(db: Path, batch_id: str) -> dict[str, ScanResult]:
    """Item id → stored result, for every finished item (read-only, like another process would)."""
    if not db.exists():
        return {}
    try:
        items = SqliteBatchStore(db).list_items(batch_id, limit=1000)
    except Exception:  # noqa: BLE001 - the scan has not created its tables or batch yet
        return {}
    return {i.item_id: i.result for i in items if i.result is not None and i.status.terminal}


def kill_when(proc: subprocess.Popen[bytes], db: Path, batch_id: str, done: int) -> None:
    """SIGKILL the scan's process group once ``done`` items are stored; fails if it ends first."""
    deadline = time.monotonic() + DEADLINE_S
    while len(finished(db, batch_id)) < done:
        if proc.poll() is not None:
            pytest.fail(f"the scan ended (exit {proc.returncode}) before {done} items were done")
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"no progress to {done} items in {DEADLINE_S:.0f} s")
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def test_three_kill_9s_then_a_rerun_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    # GIVEN a folder of receipts and a two-worker scan command
    folder = tmp_path / "in"
    names = write_receipts(folder, ITEMS)
    data = tmp_path / "data"
    db = data / "receiptflow.db"
    batch_id = batch_id_for(collect_files([str(folder)]), "local")
    command = scan_cmd(folder, "--data-dir", data, "--workers", "2", "--quiet")
    env = clean_env(RECEIPTFLOW_PROVIDER="local")

    # WHEN it is killed with SIGKILL three times as it progresses, restarting after each kill
    kept: dict[str, ScanResult] = {}
    for done in KILL_AT:
        proc = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        kill_when(proc, db, batch_id, done)
        now = finished(db, batch_id)
        assert all(now[k] == v for k, v in kept.items()), "a finished result changed"
        assert done <= len(now) < ITEMS
        kept = now

    # THEN the database survived intact
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # AND the same command once more finishes the batch: every image exactly once, nothing redone
    out = tmp_path / "out.jsonl"
    run_scan(folder, "--data-dir", data, "--workers", "2", "--out", out, "--quiet", env=env, cwd=tmp_path)
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r.source).name for r in rows) == sorted(names)
    assert all(r.status is ScanStatus.OK and r.receipt is not None for r in rows)
    assert {Path(r.source).name: r.receipt.total.value for r in rows if r.receipt} == {
        name: known.total for name, known in names.items()
    }
    after = finished(db, batch_id)
    assert len(after) == ITEMS and all(after[k] == v for k, v in kept.items())
    batch = SqliteBatchStore(db).get_batch("local", batch_id)
    assert batch.status is BatchStatus.SUCCEEDED
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.failed, batch.counts.done) == (
        ITEMS,
        ITEMS,
        0,
        ITEMS,
    )
