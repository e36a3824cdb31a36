"""Issue 16, accuracy on small photos: the default engine scales a small page up for the detector (a
phone photo under 500 px wide), so small print is found, and the boxes still land on the page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("rapidocr")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from receiptflow.adapters.ocr.engine import EngineConfig, OcrEngine  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def _shrunk(name: str, width: int) -> tuple[np.ndarray, list[str]]:
    truth = json.loads((SAMPLES / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    image = cv2.imread(str(SAMPLES / "receipts" / f"{name}.jpg"))
    assert image is not None
    height = round(image.shape[0] * width / image.shape[1])
    small = np.ascontiguousarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA))
    wanted = [truth["vendor_name"], truth["total"], *(item["description"] for item in truth["line_items"])]
    return small, wanted


def _squeeze(text: str) -> str:
    return "".join(text.upper().split())


def test_a_tiny_photo_is_read_whole_by_the_default_engine() -> None:
    # GIVEN a grocery receipt photographed small: 180 px wide, its print 4-5 px high
    small, wanted = _shrunk("us_grocery", 180)
    # WHEN the default engine reads it
    lines = OcrEngine(EngineConfig()).read_image(small)
    # THEN the vendor, every item and the total are read (at native size the detector misses an item)
    text = _squeeze(" ".join(line.text for line in lines))
    assert [w for w in wanted if _squeeze(w) not in text] == []
    # AND every box is in the small page's own pixels, not the detector's scaled-up input
    height, width = small.shape[:2]
    assert all(0 <= ln.x0 < ln.x1 <= width and 0 <= ln.y0 < ln.y1 <= height for ln in lines)
    assert max(ln.x1 for ln in lines) > width / 2  # and not shrunk into a corner either
