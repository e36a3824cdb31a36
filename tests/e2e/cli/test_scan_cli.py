"""``receiptflow scan`` end to end, as a user runs it: a real subprocess, real files, real OCR.

Covers known fields on generated receipts, typed error rows for bad files in the same folder, resuming
after ``kill -9`` and after Ctrl-C (every image exactly once, nothing lost or redone), and the cache.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.cli.scan import batch_id_for, collect_files
from receiptflow.models import Batch, BatchStatus, ScanResult, ScanStatus

from tests.support.bad_inputs import png_bomb
from tests.support.known_receipts import write_receipts

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[3]
SAMPLE_NAMES = ("us_grocery", "fr_bistro", "us_hotel_bar_two_page", "my_kedai_runcit")
DEADLINE_S = 120.0


def scan_cmd(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "receiptflow", "scan", *map(str, args)]


def run_scan(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        scan_cmd(*args),
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def read_jsonl(path: Path) -> list[ScanResult]:
    return [ScanResult.model_validate_json(line) for line in path.read_text().splitlines()]


def batch_of(data_dir: Path, folder: Path) -> Callable[[], Batch | None]:
    """Reads the scan's batch from its database (None until the scan has created it)."""
    batch_id = batch_id_for(collect_files([str(folder)]), "local")

    def read() -> Batch | None:
        db = data_dir / "receiptflow.db"
        if not db.exists():
            return None
        try:
            return SqliteBatchStore(db).get_batch("local", batch_id)
        except Exception:  # not created yet
            return None

    return read


def wait_for(proc: subprocess.Popen[str], read: Callable[[], Batch | None], done_at_least: int) -> Batch:
    """Poll until the batch has ``done_at_least`` finished items; fails if the scan exits or time runs out."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        batch = read()
        if batch is not None and batch.counts.done >= done_at_least:
            return batch
        if proc.poll() is not None:
            pytest.fail(
                f"scan exited early with {proc.returncode}: {proc.stderr.read() if proc.stderr else ''}"
            )
        time.sleep(0.05)
    proc.kill()
    pytest.fail("scan did not make progress in time")


def results_by_item(data_dir: Path, batch_id: str) -> dict[str, ScanResult | None]:
    store = SqliteBatchStore(data_dir / "receiptflow.db")
    return {i.item_id: i.result for i in store.list_items(batch_id, limit=1000)}


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path


def test_generated_receipts_and_bad_files_give_records_and_typed_error_rows(workdir: Path) -> None:
    make_samples = pytest.importorskip("tools.make_samples")
    # GIVEN generated receipts with ground truth, and bad files in the same folder
    rendered = workdir / "rendered"
    make_samples.render_samples(rendered)
    folder = workdir / "in"
    folder.mkdir()
    truth = {}
    for name in SAMPLE_NAMES:
        (receipt,) = [p for p in (rendered / "receipts").iterdir() if p.stem == name]
        shutil.copy(receipt, folder / receipt.name)
        truth[receipt.name] = json.loads(make_samples.truth_path(receipt).read_text())
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "truncated.jpg").write_bytes((folder / "us_grocery.jpg").read_bytes()[:2000])
    (folder / "notes.txt").write_text("lunch with the team\n")
    (folder / "bomb.png").write_bytes(png_bomb())
    (folder / "huge.jpg").write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(1_100_000))
    (folder / "sub").mkdir()
    shutil.copy(folder / "us_grocery.jpg", folder / "sub" / "grocery_again.jpg")
    (folder / ".DS_Store").write_bytes(b"hidden")
    env = {"RECEIPTFLOW_MAX_FILE_BYTES": "1000000"}

    # WHEN the folder is scanned
    out = workdir / "out.jsonl"
    proc = run_scan(
        folder, "--data-dir", workdir / "data", "--out", out, "--workers", "2", cwd=workdir, env=env
    )

    # THEN the batch completes: one row per file (the dot-file too), records for receipts, typed errors
    assert proc.returncode == 0, proc.stderr
    rows = {Path(r.source).name: r for r in read_jsonl(out)}
    assert len(rows) == 11
    errors = {name: r.error.code for name, r in rows.items() if r.error is not None}
    assert errors == {
        ".DS_Store": "unsupported_type",
        "empty.jpg": "empty_file",
        "truncated.jpg": "corrupt_image",
        "notes.txt": "unsupported_type",
        "bomb.png": "too_many_pixels",
        "huge.jpg": "too_large",
    }
    matches = 0
    for name, gt in truth.items():
        row = rows[name]
        assert row.status is ScanStatus.OK and row.receipt is not None, row.error
        got = (row.receipt.vendor_name.value, str(row.receipt.date.value), str(row.receipt.total.value))
        matches += got == (gt["vendor_name"], gt["date"], gt["total"])
    assert matches >= 3, "vendor, date and total read right on most generated receipts"
    pair = (rows["grocery_again.jpg"], rows["us_grocery.jpg"])  # a duplicate is scanned once
    assert sorted(r.cached for r in pair) == [False, True] and pair[0].receipt == pair[1].receipt
    assert "11 images: 5 ok, 6 failed" in proc.stdout

    # AND the same command again resumes the finished batch: same rows, nothing rescanned
    csv_out = workdir / "out.csv"
    rerun = run_scan(
        folder, "--data-dir", workdir / "data", "--out", csv_out, "--quiet", cwd=workdir, env=env
    )
    assert rerun.returncode == 0, rerun.stderr
    assert len(csv_out.read_text().splitlines()) == 12  # header + 11 rows
    assert "0 from cache" not in rerun.stdout  # the copy's cached row is the stored one
    # AND a new batch over copies of the files is answered from the cache
    shutil.copytree(folder, workdir / "copy")
    copy_out = workdir / "copy.jsonl"
    copy = run_scan(
        workdir / "copy", "--data-dir", workdir / "data", "--out", copy_out, "--quiet", cwd=workdir, env=env
    )
    assert copy.returncode == 0, copy.stderr
    copied = read_jsonl(copy_out)
    assert all(r.cached and r.attempts == 0 for r in copied if r.status is ScanStatus.OK)
    assert sum(r.status is ScanStatus.OK for r in copied) == 5


def test_kill_9_at_half_way_then_rerun_loses_and_repeats_nothing(workdir: Path) -> None:
    # GIVEN a scan of 10 receipts on one worker
    folder = workdir / "in"
    names = write_receipts(folder, 10)
    data = workdir / "data"
    read = batch_of(data, folder)
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", data, "--workers", "1", "--quiet"),
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    # WHEN it is killed with SIGKILL at about half way
    try:
        batch = wait_for(proc, read, 5)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the orphaned worker too
    assert proc.returncode == -signal.SIGKILL
    before = results_by_item(data, batch.batch_id)
    finished_before = {k: v for k, v in before.items() if v is not None}
    assert 5 <= len(finished_before) < 10

    # THEN running the same command again finishes the rest
    rerun = run_scan(
        folder, "--data-dir", data, "--workers", "1", "--out", workdir / "out.jsonl", cwd=workdir
    )
    assert rerun.returncode == 0, rerun.stderr
    rows = read_jsonl(workdir / "out.jsonl")
    assert sorted(Path(r.source).name for r in rows) == sorted(names)  # every image exactly once
    assert all(r.status is ScanStatus.OK for r in rows)
    after = results_by_item(data, batch.batch_id)
    for item_id, result in finished_before.items():
        assert after[item_id] == result  # finished items were not scanned again
    final = read()
    assert final is not None and final.status is BatchStatus.SUCCEEDED
    assert (final.counts.total, final.counts.succeeded, final.counts.failed) == (10, 10, 0)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_cancels_exits_130_and_a_rerun_completes(
    workdir: Path, stop: signal.Signals
) -> None:
    folder = workdir / "in"
    names = write_receipts(folder, 10)
    data = workdir / "data"
    out = workdir / "out.jsonl"
    read = batch_of(data, folder)
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", data, "--workers", "1", "--out", out),
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(proc, read, 2)
    # WHEN the user presses Ctrl-C (or the process is told to terminate)
    proc.send_signal(stop)
    _, stderr = proc.communicate(timeout=60)
    # THEN the scan stops with 130, keeps what finished and marks the rest cancelled
    assert proc.returncode == 130, stderr
    rows = read_jsonl(out)
    assert sorted(Path(r.source).name for r in rows) == sorted(names)
    statuses = [r.status for r in rows]
    assert ScanStatus.OK in statuses and ScanStatus.CANCELLED in statuses
    assert ScanStatus.ERROR not in statuses
    stopped = read()
    assert stopped is not None and stopped.status is BatchStatus.CANCELLED
    kept = {k: v for k, v in results_by_item(data, stopped.batch_id).items() if v is not None}

    # AND the same command again completes the batch without redoing the finished items
    rerun = run_scan(folder, "--data-dir", data, "--workers", "1", "--out", out, cwd=workdir)
    assert rerun.returncode == 0, rerun.stderr
    rows = read_jsonl(out)
    assert len(rows) == 10 and all(r.status is ScanStatus.OK for r in rows)
    after = results_by_item(data, stopped.batch_id)
    assert all(after[k] == v for k, v in kept.items())


def test_usage_errors_exit_2(workdir: Path) -> None:
    missing = run_scan(workdir / "nope", "--data-dir", workdir / "data", cwd=workdir)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    (workdir / "empty").mkdir()
    empty = run_scan(workdir / "empty", "--data-dir", workdir / "data", cwd=workdir)
    assert empty.returncode == 2
    bad_flag = run_scan(workdir, "--provider", "nope", cwd=workdir)
    assert bad_flag.returncode == 2


def test_out_dash_writes_json_lines_to_stdout_and_the_table_to_stderr(workdir: Path) -> None:
    (workdir / "note.txt").write_text("hello")
    proc = run_scan(workdir / "note.txt", "--data-dir", workdir / "data", "--out", "-", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    (row,) = [ScanResult.model_validate_json(line) for line in proc.stdout.splitlines()]
    assert row.error is not None and row.error.code == "unsupported_type"
    assert "1 images: 0 ok, 1 failed" in proc.stderr
