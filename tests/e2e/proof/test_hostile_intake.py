"""End to end: images and PDFs that expand in memory, and JPEGs that declare more image than they
hold, through ``receiptflow scan`` (two workers, memory sampled) and through the state machine's scan
Lambda.

Each is a typed row: a truncated JPEG is ``corrupt_image`` (never a blank page read as
``no_text_found``); an image whose decoding would pass the per-item decode budget is ``resource_limit``
before a pixel is decoded; images just under the budget are decoded and stay within the per-worker
memory budget of docs/performance.md ("Hostile inputs")."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.models import ScanResult

from bench.memory import MB, PeakTreeRss
from tests.e2e.serverless.test_batch_workflow_e2e import drop_folder, start_from_inbox, stub_textract
from tests.support.hostile import fan_out_pdf, truncated_jpegs
from tests.support.known_receipts import write_receipts
from tests.support.scanning import SCAN_TIMEOUT_S, clean_env, scan_cmd
from tests.support.serverless_stack import Stack, serverless_stack
from tests.support.textract import MEGA_MARKET, load_fixture
from tests.support.tokens import serve_jwks

pytestmark = pytest.mark.e2e

# docs/performance.md "Hostile inputs": one worker's peak, and the whole `scan` tree with two workers
WORKER_BUDGET_MB = 1280
TREE_BUDGET_MB = 3072


def _encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def expanding_images() -> dict[str, tuple[bytes, str]]:
    """Small files that decode to hundreds of MB: name -> (bytes, expected code)."""
    palette = Image.new("P", (7_600, 7_600), 0)
    over: dict[str, tuple[bytes, str]] = {
        # 36 Mpx RGBA WebP: ~17 bytes a pixel to decode (two libwebp buffers, premultiplied alpha)
        "webp_rgba_36mpx.webp": (
            _encode(Image.new("RGBA", (6_000, 6_000), (255, 255, 255, 0)), "WEBP", lossless=True, method=0),
            "resource_limit",
        ),
        # 58 Mpx palette PNG with transparency: converted to RGBA at full size before it can be reduced
        "png_palette_alpha_58mpx.png": (_encode(palette, "PNG", transparency=0), "resource_limit"),
        # 16-bit grey at 80 Mpx
        "png_gray16_80mpx.png": (_encode(Image.new("I;16", (10_000, 8_000)), "PNG"), "resource_limit"),
    }
    # nested form XObjects: 10**5 drawn objects from 2 KB of PDF, refused before rendering
    over["pdf_forms_fan_out.pdf"] = (fan_out_pdf(6, 10), "resource_limit")
    under = {
        # just under the budget: decoded, read as blank (no text)
        "png_rgb_100mpx.png": (_encode(Image.new("RGB", (10_000, 10_000), "white"), "PNG"), "no_text_found"),
        "png_rgba_55mpx.png": (_encode(Image.new("RGBA", (7_400, 7_400), "white"), "PNG"), "no_text_found"),
    }
    return {**over, **under}


def test_expanding_and_truncated_images_through_scan_stay_within_the_budget(tmp_path: Path) -> None:
    # GIVEN generated truncated JPEGs and expanding images in one folder
    folder = tmp_path / "in"
    folder.mkdir()
    expected: dict[str, str] = {}
    for name, data in truncated_jpegs(12).items():
        (folder / name).write_bytes(data)
        expected[name] = "corrupt_image"
    for name, (data, code) in expanding_images().items():
        (folder / name).write_bytes(data)
        expected[name] = code
    out = tmp_path / "out.jsonl"

    # WHEN they are scanned with two workers, sampling every process's memory
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", tmp_path / "data", "--workers", "2", "--out", out, "--quiet"),
        cwd=tmp_path,
        env=clean_env(RECEIPTFLOW_PROVIDER="local"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakTreeRss(proc.pid) as rss:
        _, stderr = proc.communicate(timeout=SCAN_TIMEOUT_S)

    # THEN every file has its typed row
    assert proc.returncode == 0, stderr
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    codes = {Path(r.source).name: r.error.code if r.error else None for r in rows}
    assert codes == expected
    # AND no worker, and not the whole tree, went past the budget
    worker_mb, tree_mb = rss.peak_single_bytes / MB, rss.peak_mb
    print(f"hostile intake corpus: peak worker {worker_mb:.0f} MiB, peak tree {tree_mb:.0f} MiB")  # noqa: T201
    assert worker_mb < WORKER_BUDGET_MB
    assert tree_mb < TREE_BUDGET_MB


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    serve_jwks(monkeypatch)
    with serverless_stack(monkeypatch, tmp_path, provider="textract", max_concurrency=2) as stack:
        yield stack


def test_truncated_and_expanding_images_through_the_scan_lambda(
    stack: Stack, shared_dir: Path, tmp_path: Path
) -> None:
    # GIVEN truncated JPEGs and images over the decode budget dropped into an inbox folder
    files = dict(truncated_jpegs(8, seed=5).items())
    expected = dict.fromkeys(files, "corrupt_image")
    for name, (data, code) in expanding_images().items():
        if code == "resource_limit":
            files[name], expected[name] = data, code
    stub_textract(load_fixture(shared_dir, MEGA_MARKET), responses=len(files))
    drop_folder(stack, "hostile", files)

    # WHEN the batch runs through the state machine and the scan Lambda
    started, _ = start_from_inbox(stack, "conn-hostile")
    execution = stack.wait(started["execution"], timeout=300)

    # THEN each file is an item with its typed error (caught by the state machine by class name)
    assert execution["status"] == "SUCCEEDED", execution
    items = DynamoBatchStore(stack.table).list_items(started["batch_id"], limit=1000)
    assert {i.source: i.result.error.code if i.result and i.result.error else None for i in items} == expected


def test_a_pdf_that_explodes_while_loading_is_stopped_by_the_worker_cap(tmp_path: Path) -> None:
    # GIVEN a 2.6 KB PDF whose nested forms draw 10**6 objects (PDFium needs ~1.8 GB just to load the
    # page, before anything can be counted), beside a receipt
    folder = tmp_path / "in"
    (good,) = write_receipts(folder, 1)
    (folder / "forms_bomb.pdf").write_bytes(fan_out_pdf(7, 10))
    out = tmp_path / "out.jsonl"
    cap_mb = 1024
    # WHEN it is scanned by workers capped at 1 GiB
    proc = subprocess.Popen(
        scan_cmd(folder, "--data-dir", tmp_path / "data", "--workers", "1", "--out", out, "--quiet"),
        cwd=tmp_path,
        env=clean_env(RECEIPTFLOW_PROVIDER="local", RECEIPTFLOW_WORKER_MEMORY_LIMIT_MB=str(cap_mb)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakTreeRss(proc.pid) as rss:
        _, stderr = proc.communicate(timeout=SCAN_TIMEOUT_S)
    # THEN the worker was stopped at its cap (and replaced), the item is a resource_limit row naming the
    # cap (not worker_crashed), and the batch went on
    assert proc.returncode == 0, stderr
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    codes = {Path(r.source).name: r.error.code if r.error else None for r in rows}
    assert codes == {"forms_bomb.pdf": "resource_limit", good: None}
    (bomb,) = (r for r in rows if r.error is not None)
    assert bomb.error is not None and bomb.error.message.startswith(f"memory limit {cap_mb} MiB")
    assert rss.peak_single_bytes / MB < cap_mb + 128
