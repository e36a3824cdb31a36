"""End to end: the whole bad-input corpus and good receipts in one folder through ``receiptflow scan``.

A real subprocess, real files, real OCR. Every file gets its typed error or a correct result, the batch
completes (exit 0), the rows equal the files, and the peak memory of the scan's process tree stays bounded
while it chews through a 2.5-gigapixel PNG bomb, a 30 MB photo, a 51 MB file and a 100-page PDF.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from receiptflow.models import ScanResult, ScanStatus

from bench.memory import PeakTreeRss
from tests.support.corpus import TRAVERSAL_NAME, build_corpus

pytestmark = pytest.mark.e2e

# Measured 2026-11-22 on 2 shared cores, 2 workers: ~870 MiB summed over the main process and its two
# OCR workers (each holds the ONNX models). The bound leaves headroom for noise, while decoding the bomb
# (2.5 gigapixels: 2.5 GB as 8-bit grey) would blow through it at once.
PEAK_RSS_LIMIT_MB = 1300
WORKERS = 2


def test_the_whole_corpus_through_scan_gets_typed_rows_and_bounded_memory(tmp_path: Path) -> None:
    # GIVEN the corpus and three good receipts in one folder (the traversal-style name starts with "..":
    # the folder walk must take it like any other file)
    folder = tmp_path / "in"
    expected = build_corpus(folder)
    assert TRAVERSAL_NAME in expected
    out = tmp_path / "out.jsonl"

    # WHEN it is scanned with two workers, sampling the memory of the whole process tree
    proc = subprocess.Popen(
        [sys.executable, "-m", "receiptflow", "scan", str(folder)]
        + ["--data-dir", str(tmp_path / "data"), "--workers", str(WORKERS), "--out", str(out), "--quiet"],
        cwd=tmp_path,
        env={**os.environ, "RECEIPTFLOW_PROVIDER": "local"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakTreeRss(proc.pid) as rss:
        stdout, stderr = proc.communicate(timeout=300)

    # THEN the batch completed and there is exactly one row per file
    assert proc.returncode == 0, stderr
    rows = [ScanResult.model_validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_name = {Path(r.source).relative_to(folder.name).as_posix(): r for r in rows}
    assert len(rows) == len(by_name) == len(expected)
    assert sorted(by_name) == sorted(expected)

    # AND every file ended as expected: its typed error, or a receipt with the right total
    actual = {
        name: (r.error.code if r.error is not None else None, r.receipt.total.value if r.receipt else None)
        for name, r in by_name.items()
    }
    assert actual == {name: (e.code, e.total) for name, e in expected.items()}
    assert all(r.status is (ScanStatus.ERROR if r.error else ScanStatus.OK) for r in rows)
    # AND the duplicate was scanned once and answered from the first scan
    pair = [by_name["receipt.jpg"], by_name["duplicate_of_receipt.jpg"]]
    assert sum(r.attempts for r in pair) == 1 and any(r.cached for r in pair)
    failed = sum(e.code is not None for e in expected.values())
    assert f"{len(expected)} images: {len(expected) - failed} ok, {failed} failed" in stdout

    # AND memory stayed bounded
    assert rss.samples > 10
    print(f"peak RSS of the scan tree: {rss.peak_mb:.0f} MiB over {len(expected)} files")  # noqa: T201
    assert rss.peak_mb < PEAK_RSS_LIMIT_MB
