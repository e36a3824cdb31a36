"""End to end: ``kill -9`` of the main process ALONE (not its process group), as the OOM killer or a
container stop does it, mid-batch, for ``receiptflow scan`` and for ``receiptflow serve``. Within 5 s no
process of the tree is left (OCR workers exit with their parent: worker_limits), and the rerun / restart
completes the batch with every item exactly once: 0 lost, 0 duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.cli.scan import batch_id_for, collect_files
from receiptflow.models import ScanResult, ScanStatus

from tests.support.known_receipts import RECEIPTS, render, write_receipts
from tests.support.process_tree import command_line, kill_all, survivors, tree
from tests.support.scanning import clean_env, run_scan, scan_cmd
from tests.support.serve_process import all_results, serve, wait_batch

pytestmark = pytest.mark.e2e

ITEMS = 10
GONE_WITHIN_S = 5.0


def _workers_started(pid: int) -> bool:
    return sum("spawn_main" in command_line(p) for p in tree(pid)[1:]) >= 2


def _done(db: Path, batch_id: str) -> int:
    try:
        return SqliteBatchStore(db).get_batch("local", batch_id).counts.done
    except Exception:  # noqa: BLE001 - not created yet
        return 0


def test_kill_9_of_the_scan_main_pid_leaves_no_process_and_the_rerun_completes(tmp_path: Path) -> None:
    # GIVEN a two-worker scan that has finished a few items
    folder = tmp_path / "in"
    names = write_receipts(folder, ITEMS)
    data = tmp_path / "data"
    batch_id = batch_id_for(collect_files([str(folder)]), "local")
    env = clean_env(RECEIPTFLOW_PROVIDER="local")
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", data, "--workers", "2", "--quiet"),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    processes = []
    try:
        deadline = time.monotonic() + 180
        while not (_done(data / "receiptflow.db", batch_id) >= 2 and _workers_started(proc.pid)):
            assert proc.poll() is None and time.monotonic() < deadline, "the scan made no progress"
            time.sleep(0.05)
        processes = tree(proc.pid)
        assert len(processes) >= 3  # main, two workers (and the resource tracker)
        # WHEN only the main process is killed
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        # THEN every process of its tree is gone within 5 s
        assert survivors(processes, GONE_WITHIN_S) == []
    finally:
        kill_all(processes)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    # AND the same command completes the batch: every file exactly once, all read
    out = tmp_path / "out.jsonl"
    run_scan(folder, "--data-dir", data, "--workers", "2", "--out", out, "--quiet", env=env, cwd=tmp_path)
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert sorted(Path(r.source).name for r in rows) == sorted(names)  # 0 lost, 0 duplicated
    assert all(r.status is ScanStatus.OK for r in rows)
    batch = SqliteBatchStore(data / "receiptflow.db").get_batch("local", batch_id)
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.done) == (ITEMS, ITEMS, ITEMS)


def test_kill_9_of_the_serve_main_pid_leaves_no_process_and_the_restart_completes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = [
        (f"r{n:02d}.png", render(RECEIPTS[n % len(RECEIPTS)], noise=n // len(RECEIPTS))) for n in range(ITEMS)
    ]
    processes = []
    # GIVEN a started batch on a two-worker server, a few items done
    with serve(data) as server, server.client() as client:
        batch_id = client.post("/v1/batches", json={"name": "orphans"}).json()["batch"]["batch_id"]
        upload = client.post(
            f"/v1/batches/{batch_id}/files", files=[("files", (n, d, "image/png")) for n, d in files]
        )
        assert upload.status_code == 201, upload.text
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
        wait_batch(
            client,
            batch_id,
            lambda b: (
                b["counts"]["succeeded"] + b["counts"]["failed"] >= 2 and _workers_started(server.proc.pid)
            ),
        )
        processes = tree(server.proc.pid)
        try:
            # WHEN only the server's main process is killed
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(10)
            # THEN every process of its tree is gone within 5 s
            assert survivors(processes, GONE_WITHIN_S) == []
        finally:
            kill_all(processes)

    # AND a restarted server completes the batch: every item exactly once
    with serve(data) as server, server.client() as client:
        done = wait_batch(client, batch_id, lambda b: b["status"] not in ("created", "running"))
        items = all_results(client, batch_id)
    assert done["status"] == "succeeded"
    assert sorted(i["source"] for i in items) == sorted(name for name, _ in files)  # 0 lost
    assert len({i["item_id"] for i in items}) == len(items) == ITEMS  # 0 duplicated
    assert done["counts"]["succeeded"] == ITEMS
