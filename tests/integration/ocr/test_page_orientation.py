"""Pages photographed sideways or scanned upside down, with no EXIF orientation to say so, are read as
well as upright ones: receipts from four countries, each turned by every quarter turn, give the same
vendor, date and total, and each field's box lands where the field is printed on the turned image."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

pytest.importorskip("rapidocr")

from PIL import Image  # noqa: E402
from receiptflow.adapters.ocr.provider import LocalProvider  # noqa: E402
from receiptflow.intake.load import load_document  # noqa: E402
from receiptflow.models import FieldBox, Receipt  # noqa: E402
from receiptflow.settings import Settings  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
# counter-clockwise degrees, as PIL turns: 90 leaves the text running upwards, 270 downwards
TURNS = (90, 180, 270)


def _turned(name: str, degrees: int) -> bytes:
    image = Image.open(SAMPLES / "receipts" / f"{name}.jpg").convert("RGB")
    out = io.BytesIO()
    image.rotate(degrees, expand=True).save(out, format="JPEG", quality=92)  # no EXIF orientation
    return out.getvalue()


def _read(data: bytes) -> Receipt:
    settings = Settings()
    return LocalProvider(settings).analyze(load_document(data, settings=settings)).receipt


def _box_turned(box: FieldBox, degrees: int) -> tuple[float, float, float, float]:
    """Where ``box`` of the upright page lies on the page turned ``degrees`` counter-clockwise."""
    if degrees == 90:  # (x, y) -> (y, 1 - x)
        return box.y0, 1 - box.x1, box.y1, 1 - box.x0
    if degrees == 180:
        return 1 - box.x1, 1 - box.y1, 1 - box.x0, 1 - box.y0
    return 1 - box.y1, box.x0, 1 - box.y0, box.x1  # 270: (x, y) -> (1 - y, x)


@pytest.mark.parametrize("name", ["de_baeckerei", "ie_cafe", "my_kedai_runcit", "us_grocery"])
def test_a_receipt_turned_any_quarter_reads_as_it_does_upright(name: str) -> None:
    # GIVEN a receipt whose fields are known, and its image turned by each quarter turn without EXIF
    truth = json.loads((SAMPLES / "truth" / f"{name}.json").read_text(encoding="utf-8"))
    upright = _read((SAMPLES / "receipts" / f"{name}.jpg").read_bytes())
    assert (str(upright.total.value), str(upright.date.value)) == (truth["total"], truth["date"])
    for degrees in TURNS:
        # WHEN the turned image is read
        turned = _read(_turned(name, degrees))
        # THEN the fields are those read upright
        got = (turned.vendor_name.value, turned.date.value, turned.total.value)
        assert got == (upright.vendor_name.value, upright.date.value, upright.total.value), degrees
        # AND each field's box is on the turned image, where the upright box went
        for field in ("vendor_name", "date", "total"):
            box, upright_box = getattr(turned, field).box, getattr(upright, field).box
            assert box is not None and upright_box is not None, (degrees, field)
            expected = _box_turned(upright_box, degrees)
            got_box = (box.x0, box.y0, box.x1, box.y1)
            assert max(abs(a - b) for a, b in zip(got_box, expected, strict=True)) < 0.03, (degrees, field)
