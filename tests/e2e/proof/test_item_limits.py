"""End to end: items that never finish decoding, through ``receiptflow scan`` (default workers) and
``receiptflow serve`` (a batch and ``POST /v1/scan``).

A sub-kilobyte PDF whose form draws itself (PDFium expands it while loading the page, its memory growing
all the while) and a tiling pattern with a tiny step (minutes of rendering in little memory) each end as
one ``resource_limit`` row naming the limit that stopped them (the worker's memory cap or the item time
limit), never ``worker_crashed``; the worker is replaced, the receipts beside them are read, and no
process is left afterwards. ``/v1/scan`` runs the item in a pool worker, so the server process itself
never grows."""

from __future__ import annotations

import io
import re
import subprocess
import threading
from pathlib import Path

import psutil
import pytest
from PIL import Image
from receiptflow.models import ScanResult
from receiptflow.settings import Settings

from tests.support.hostile import self_drawing_pdf, tiling_pdf
from tests.support.known_receipts import write_receipts
from tests.support.process_tree import command_line, survivors
from tests.support.scanning import SCAN_TIMEOUT_S, clean_env, scan_cmd
from tests.support.serve_process import all_results, serve, wait_batch

pytestmark = pytest.mark.e2e

# generous for a receipt on a loaded machine (model loading included); the hostile items never finish
TIME_LIMIT_S = 90
CAP_MB = 1536  # the default worker_memory_limit_mb (VmData)
BUDGET_MB = 1280  # the default worker_memory_budget_mb (RSS)
STOPPED = re.compile(
    rf"^(memory limit {CAP_MB} MiB|memory limit {BUDGET_MB} MiB resident|time limit {TIME_LIMIT_S} s): "
)


class TreeWatch:
    """Every process seen in ``pid``'s tree while it runs, and the highest RSS of any one worker."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)
        self.seen: dict[int, psutil.Process] = {}
        self.commands: dict[int, str] = {}  # read when first seen: a process that is gone has none
        self.peak_worker_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            try:
                children = self.root.children(recursive=True)
            except psutil.Error:
                return
            for child in children:
                if child.pid not in self.seen:
                    self.seen[child.pid] = child
                    self.commands[child.pid] = command_line(child)
                try:
                    self.peak_worker_mb = max(self.peak_worker_mb, child.memory_info().rss / 2**20)
                except psutil.Error:
                    continue

    @property
    def workers(self) -> list[int]:
        """Pids of the scanning workers seen (spawned by multiprocessing, not its resource tracker)."""
        return [pid for pid, command in self.commands.items() if "spawn_main" in command]


def blank_jpeg(pixels: int) -> bytes:
    """A white RGB JPEG of about ``pixels`` pixels (square)."""
    side = int(pixels**0.5)
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def test_items_that_never_finish_are_stopped_at_a_limit_and_the_batch_goes_on(tmp_path: Path) -> None:
    # GIVEN receipts beside a self-drawing PDF, a slow tiling pattern and JPEGs either side of the pixel
    # limit
    folder = tmp_path / "in"
    receipts = write_receipts(folder, 2)
    (folder / "form_draws_itself.pdf").write_bytes(self_drawing_pdf(3))
    (folder / "tiling_step_0.001.pdf").write_bytes(tiling_pdf("0.001"))
    max_pixels = Settings().max_pixels
    (folder / "just_under_the_pixel_limit.jpg").write_bytes(blank_jpeg(max_pixels - 250_000))
    (folder / "just_over_the_pixel_limit.jpg").write_bytes(blank_jpeg(max_pixels + 250_000))
    out = tmp_path / "out.jsonl"

    # WHEN they are scanned with the default workers and memory cap, and a 90 s item time limit
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", tmp_path / "data", "--out", out, "--quiet"),
        cwd=tmp_path,
        env=clean_env(RECEIPTFLOW_PROVIDER="local", RECEIPTFLOW_ITEM_TIMEOUT_SECONDS=str(TIME_LIMIT_S)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with TreeWatch(proc.pid) as watch:
        _, stderr = proc.communicate(timeout=SCAN_TIMEOUT_S)

    # THEN each hostile file is one resource_limit row naming its limit, and the receipts are read
    assert proc.returncode == 0, stderr
    rows = {Path(r.source).name: r for r in map(ScanResult.model_validate_json, out.read_text().splitlines())}
    assert set(rows) == {
        *receipts,
        "form_draws_itself.pdf",
        "tiling_step_0.001.pdf",
        "just_under_the_pixel_limit.jpg",
        "just_over_the_pixel_limit.jpg",
    }
    # the image just under the limit is decoded (blank: no text), the one just over refused
    under, over = rows["just_under_the_pixel_limit.jpg"].error, rows["just_over_the_pixel_limit.jpg"].error
    assert under is not None and under.code == "no_text_found", under
    assert over is not None and over.code == "too_many_pixels", over
    for name in ("form_draws_itself.pdf", "tiling_step_0.001.pdf"):
        error = rows[name].error
        assert error is not None and error.code == "resource_limit", (name, error)
        assert STOPPED.match(error.message), error.message
    assert rows["tiling_step_0.001.pdf"].error is not None
    assert rows["tiling_step_0.001.pdf"].error.message.startswith(f"time limit {TIME_LIMIT_S} s")
    for name, known in receipts.items():
        receipt = rows[name].receipt
        assert rows[name].ok and receipt is not None, rows[name].error
        assert receipt.vendor_name.value == known.vendor
    # AND stopped workers were replaced (more workers than the pool holds at once), none outlived the scan,
    # and no worker went much past its cap
    assert len(watch.workers) > 2, watch.workers
    assert survivors(list(watch.seen.values()), within_s=5) == []
    assert watch.peak_worker_mb < BUDGET_MB + 128


def test_serve_stops_a_hostile_item_in_a_worker_for_a_batch_and_for_v1_scan(tmp_path: Path) -> None:
    (good,) = write_receipts(tmp_path / "r", 1)
    receipt = (tmp_path / "r" / good).read_bytes()
    bomb = self_drawing_pdf(4)
    with (
        serve(tmp_path / "data", RECEIPTFLOW_ITEM_TIMEOUT_SECONDS=str(TIME_LIMIT_S)) as server,
        server.client() as client,
    ):
        client.timeout = SCAN_TIMEOUT_S
        api = psutil.Process(server.proc.pid)
        # WHEN the PDF is posted to /v1/scan
        answer = client.post("/v1/scan", files=[("file", ("bomb.pdf", bomb, "application/pdf"))])
        # THEN it answers 422 resource_limit naming the limit, and the server process itself stayed small
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "resource_limit"
        assert STOPPED.match(answer.json()["detail"]), answer.json()
        assert api.memory_info().rss < 600 * 2**20
        # AND the next image is read by a fresh worker
        ok = client.post("/v1/scan", files=[("file", ("r.jpg", receipt, "image/jpeg"))])
        assert ok.status_code == 200, ok.text
        assert ok.json()["result"]["status"] == "ok"

        # WHEN a batch holds the PDF beside the receipt
        batch_id = client.post("/v1/batches", json={"name": "limits"}).json()["batch"]["batch_id"]
        files = [
            ("files", ("bomb.pdf", bomb, "application/pdf")),
            ("files", ("r.jpg", receipt, "image/jpeg")),
        ]
        assert client.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
        done = wait_batch(client, batch_id, lambda b: b["status"] not in ("created", "running"), timeout=300)
        items = {i["source"]: i for i in all_results(client, batch_id)}
    # THEN the PDF is its resource_limit row and the receipt is read
    assert done["counts"]["succeeded"] == 1 and done["counts"]["failed"] == 1, done
    bad = items["bomb.pdf"]["result"]["error"]
    assert bad["code"] == "resource_limit" and STOPPED.match(bad["message"]), bad
    assert items["r.jpg"]["result"]["status"] == "ok"
