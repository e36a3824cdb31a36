"""Integration: ``receiptflow eval`` over two small generated labelled sets, through real OCR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from receiptflow.cli.main import main
from receiptflow.evaluation.split import fold_of
from receiptflow.settings import Settings

US_ROWS = (
    "CORNER BOOKS",
    "12 MAIN ST",
    "SPRINGFIELD, IL 62701",
    "(217) 555-0134",
    "11/02/2017 3:41 PM",
    "NOVEL            $18.00",
    "SUBTOTAL         $18.00",
    "SALES TAX         $1.35",
    "TOTAL            $19.35",
)
MY_ROWS = (
    "KEDAI MAJU SDN BHD",
    "NO 5 JALAN BESAR",
    "43000 KAJANG SELANGOR",
    "DATE: 25/03/2018",
    "ROTI CANAI     RM 3.00",
    "TOTAL          RM 3.00",
)


def _render(rows: tuple[str, ...], path: Path) -> None:
    font = ImageFont.load_default(size=26)
    image = Image.new("RGB", (560, 60 + 44 * len(rows)), "white")
    draw = ImageDraw.Draw(image)
    for i, row in enumerate(rows):
        draw.text((30, 30 + 44 * i), row, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, quality=95)


def _label(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def sets(tmp_path: Path) -> tuple[Path, Path]:
    """A WildReceipt-style set (date_iso, totals, a label without a date) and a SROIE-style one."""
    wild = tmp_path / "wildreceipt-mini"
    _render(US_ROWS, wild / "img" / "wr_001.jpg")
    _label(
        wild / "gt" / "wr_001.json",
        {"company": "CORNERBOOKS", "date": "11/02/2017", "date_iso": "2017-11-02", "totals": ["19.35"]},
    )
    _render(US_ROWS[:4], wild / "img" / "wr_002.jpg")
    _label(wild / "gt" / "wr_002.json", {"company": "CORNERBOOKS", "date": "", "totals": []})
    sroie = tmp_path / "sroie-mini"
    _render(MY_ROWS, sroie / "img" / "001.jpg")
    _label(
        sroie / "key" / "001.txt",
        {"company": "KEDAI MAJU SDN BHD", "date": "25/03/2018", "address": "", "total": "3.00"},
    )
    return wild, sroie


def test_eval_reports_each_set_and_skips_unlabelled_fields(
    sets: tuple[Path, Path], tmp_path: Path, settings: Settings
) -> None:
    wild, sroie = sets
    out = tmp_path / "report.json"
    assert main(["eval", str(wild), str(sroie), "--workers", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["n"] == 3
    by_name = {s["name"]: s for s in report["sets"]}
    assert set(by_name) == {"wildreceipt-mini", "sroie-mini"}
    w, s = by_name["wildreceipt-mini"], by_name["sroie-mini"]
    assert (w["set"], s["set"]) == ("wild", "sroie")
    # wr_002's label gives no date, no total and no address: those are not scored
    assert w["scored"]["date"] == 1 and w["scored"]["total"] == 1 and w["scored"]["address"] == 0
    assert w["fields"]["address"] is None
    # the US receipt's 11/02/2017 is November 2 ($, NANP phone, state + ZIP); the Malaysian 25/03/2018
    assert w["fields"]["date"] == 1.0 and s["fields"]["date"] == 1.0
    assert w["fields"]["total"] == 1.0 and s["fields"]["total"] == 1.0
    # the label has no spaces: exact fails, lenient holds
    assert w["lenient"]["company"] == 1.0 and w["fields"]["company"] == 0.0
    assert report["scored"]["date"] == 2
    assert 0 < w["ocr_seconds_per_image"] <= w["seconds_per_image"]


def test_eval_selects_folds(sets: tuple[Path, Path], tmp_path: Path, settings: Settings) -> None:
    wild, _ = sets
    folds = {key: fold_of("wild", key) for key in ("wr_001", "wr_002")}
    out = tmp_path / "fold.json"
    fold = folds["wr_001"]
    assert main(["eval", str(wild), "--fold", str(fold), "--workers", "1", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["n"] == sum(f == fold for f in folds.values())
    # no key in the folds asked for, or a bad fold list: nothing to score
    empty = ",".join(str(f) for f in range(5) if f not in folds.values())
    if empty:
        assert main(["eval", str(wild), "--folds", empty]) == 2
    assert main(["eval", str(wild), "--fold", "7"]) == 2
