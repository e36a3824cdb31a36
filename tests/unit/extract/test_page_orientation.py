"""Unit: a page read sideways or upside down (its OCR lines' text running down, up or right to left) is
turned upright before extraction, so receipts from every country read as they do upright, and field
boxes are put back on the page as stored."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.orientation import page_turns, turn_boxes_back, upright
from receiptflow.models import FieldBox, Receipt
from receiptflow.models.ocr_lines import OcrLine

from tests.unit.extract.layouts import receipt_lines
from tests.unit.extract.world_receipts import WORLD, WorldReceipt

Size = tuple[int, int]


def _size(lines: Sequence[OcrLine]) -> Size:
    return round(max(ln.x1 for ln in lines)) + 20, round(max(ln.y1 for ln in lines)) + 20


def _turn_clockwise(lines: Sequence[OcrLine], size: Size, quarters: int) -> tuple[list[OcrLine], Size]:
    """The lines as read off the page turned ``quarters`` quarter turns clockwise (text running down
    after one turn, right to left after two, up after three)."""
    width, height = size
    out = list(lines)
    for _ in range(quarters):  # one clockwise quarter: (x, y) -> (height - y, x)
        out = [
            replace(ln, box=(height - ln.y1, ln.x0, height - ln.y0, ln.x1), angle=ln.angle + 90) for ln in out
        ]
        width, height = height, width
    return [replace(ln, angle=(ln.angle + 180) % 360 - 180) for ln in out], (width, height)


def _fields(receipt: Receipt) -> tuple[object, ...]:
    return receipt.vendor_name.value, receipt.date.value, receipt.total.value, receipt.currency.value


@pytest.mark.parametrize("quarters", [1, 2, 3])
@pytest.mark.parametrize("world", WORLD[::3], ids=[w.name for w in WORLD[::3]])
def test_a_receipt_read_off_a_turned_page_gives_its_upright_fields(
    world: WorldReceipt, quarters: int
) -> None:
    # GIVEN a receipt from abroad as the OCR reads it off the page turned by some quarter turns
    lines = receipt_lines(list(world.rows))
    turned, size = _turn_clockwise(lines, _size(lines), quarters)
    # WHEN the turn is found and the page turned upright
    turns = page_turns(turned)
    straight, sizes = upright(turned, [size], turns)
    # THEN it is the turn that was made, the page has its upright size and the fields are the receipt's
    assert turns == {0: quarters}
    assert sizes == [_size(lines)]
    assert _fields(extract_receipt(straight, page_sizes=sizes)) == (
        world.vendor,
        world.date,
        world.total,
        world.currency,
    )
    # AND every line is back where it was printed, running left to right
    for ln, original in zip(straight, lines, strict=True):
        assert ln.box == pytest.approx(original.box) and abs(ln.angle) < 1e-6


def test_an_upright_page_with_a_few_sideways_lines_is_left_as_it_is() -> None:
    # GIVEN an upright receipt with a serial number printed up its side, and a second page upside down
    lines = receipt_lines(list(WORLD[0].rows))
    side = OcrLine(text="SN 0042-7781-22", box=(2, 100, 16, 300), angle=-90.0)
    second, _ = _turn_clockwise(receipt_lines(["TOTAL | 9.99"]), (400, 60), 2)
    pages = [*lines, side, *(replace(ln, page=1) for ln in second)]
    # WHEN the turns are found
    # THEN only the second page is turned (the first page's text mostly runs left to right)
    assert page_turns(pages) == {1: 2}


@pytest.mark.parametrize("quarters", [1, 2, 3])
def test_a_box_found_upright_is_put_back_on_the_turned_page(quarters: int) -> None:
    # GIVEN a field boxed on the upright page, near its top-left corner
    receipt = Receipt()
    receipt.vendor_name.value = "REWE"
    receipt.vendor_name.box = FieldBox(page=0, x0=0.1, y0=0.05, x1=0.4, y1=0.1)
    # WHEN it is put back on the page as stored (turned ``quarters`` clockwise)
    turn_boxes_back(receipt, {0: quarters})
    # THEN it sits where that corner went: top right, bottom right, bottom left
    box = receipt.vendor_name.box
    expected = {1: (0.9, 0.1, 0.95, 0.4), 2: (0.6, 0.9, 0.9, 0.95), 3: (0.05, 0.6, 0.1, 0.9)}[quarters]
    assert (box.x0, box.y0, box.x1, box.y1) == pytest.approx(expected)
