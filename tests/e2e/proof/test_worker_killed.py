"""End to end: one OCR worker process of ``receiptflow scan`` is killed with SIGKILL (as the OOM killer
would) in the middle of a batch. The items that were in flight on the broken pool are scanned again on a
fresh pool, and the batch completes: every file has exactly one row, every one read."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.cli.scan import batch_id_for, collect_files
from receiptflow.models import ScanResult, ScanStatus

from tests.support.known_receipts import write_receipts
from tests.support.process_tree import command_line
from tests.support.scanning import clean_env, scan_cmd

pytestmark = pytest.mark.e2e

ITEMS = 10
WORKERS = 2


def worker_pids(pid: int) -> list[int]:
    """The spawned pool workers under the scan process."""
    children = psutil.Process(pid).children(recursive=True)
    return [c.pid for c in children if "spawn_main" in command_line(c)]


def test_a_killed_worker_loses_nothing_and_the_batch_completes(tmp_path: Path) -> None:
    # GIVEN a two-worker scan that has finished two items
    folder = tmp_path / "in"
    names = write_receipts(folder, ITEMS)
    data = tmp_path / "data"
    batch_id = batch_id_for(collect_files([str(folder)]), "local")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", data, "--workers", str(WORKERS), "--out", out, "--quiet"),
        env=clean_env(RECEIPTFLOW_PROVIDER="local"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                done = SqliteBatchStore(data / "receiptflow.db").get_batch("local", batch_id).counts.done
            except Exception:  # noqa: BLE001 - not created yet
                done = 0
            pids = worker_pids(proc.pid)
            if done >= 2 and pids:
                break
            assert proc.poll() is None and time.monotonic() < deadline, "the scan made no progress"
            time.sleep(0.02)
        # WHEN one worker is killed with SIGKILL
        os.kill(pids[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()

    # THEN the batch completed with one row per file
    assert proc.returncode == 0, stderr
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r.source).name for r in rows) == sorted(names)
    # AND the items in flight on the broken pool were scanned again: nothing failed, nothing lost
    assert all(r.status is ScanStatus.OK and r.receipt is not None for r in rows), [
        r.error for r in rows if r.error
    ]
