"""End-to-end: ``receiptflow eval`` over a few real receipts through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from receiptflow.cli.main import main

KEYS = ("000", "002", "013")  # training-split receipts with images


@pytest.fixture
def dataset(shared_dir: Path, tmp_path: Path) -> Path:
    """A small dataset folder: three real receipts, a corrupt image, and a label without an image."""
    src = shared_dir / "data" / "sroie-train"
    root = tmp_path / "ds"
    (root / "img").mkdir(parents=True)
    (root / "gt").mkdir()
    for key in KEYS:
        shutil.copy(src / "img" / f"{key}.jpg", root / "img" / f"{key}.jpg")
        gt = json.loads((src / "gt" / f"{key}.json").read_text())
        # held-out sets may lack split/lines: keep only the key fields
        (root / "gt" / f"{key}.json").write_text(
            json.dumps({k: gt[k] for k in ("company", "date", "address", "total")})
        )
    (root / "img" / "900.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "gt" / "900.json").write_text(
        json.dumps({"company": "X", "date": "", "address": "", "total": "1.00"})
    )
    (root / "gt" / "901.json").write_text(
        json.dumps({"company": "NO IMAGE", "date": "", "address": "", "total": ""})
    )
    return root


def test_eval_writes_the_report(dataset: Path, tmp_path: Path, settings: object) -> None:
    report_path = tmp_path / "report.json"
    code = main(["eval", str(dataset), "--json", str(report_path), "--workers", "2"])
    assert code == 0
    report = json.loads(report_path.read_text())
    assert report["n"] == 4  # 901 has no image
    assert set(report["fields"]) == {"company", "date", "address", "total"}
    assert report["failures"] == [{"key": "900", "code": "corrupt_image"}]
    # the three real receipts' totals and dates are read (900 counts as wrong on the fields its label
    # gives: the total, not the date)
    assert report["fields"]["total"] == 0.75
    assert report["fields"]["date"] == 1.0 and report["scored"]["date"] == 3
    assert 0 < report["ocr_seconds_per_image"] <= report["seconds_per_image"]
    for field in report["fields"]:
        cal = report["calibration"][field]
        assert cal["high"]["n"] + cal["low"]["n"] == report["scored"][field]
        assert sum(b["n"] for b in cal["bins"]) == report["scored"][field]


def test_eval_limit_and_empty_split(dataset: Path, tmp_path: Path, settings: object) -> None:
    report_path = tmp_path / "one.json"
    assert main(["eval", str(dataset), "--limit", "1", "--workers", "1", "--json", str(report_path)]) == 0
    assert json.loads(report_path.read_text())["n"] == 1
    # the split is drawn among the folder's own images: with fewer than 60, all are validation
    assert main(["eval", str(dataset), "--split", "train"]) == 2
