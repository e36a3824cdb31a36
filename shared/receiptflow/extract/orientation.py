"""Pages read sideways or upside down, turned upright for the extractor, and field boxes turned back.

An OCR line's ``angle`` is the direction its text runs on the page (0: left to right, 90: downwards,
180: upside down, -90: upwards). A page whose text, weighted by length, mostly runs one other quarter
turn is turned so that it reads left to right, top to bottom, because the extractor reads rows and
columns. The fields it finds are boxed on the upright page, then turned back onto the page as stored,
which is the image a reviewer sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from receiptflow.models import SUMMARY_FIELDS, FieldBox, Receipt
from receiptflow.models.ocr_lines import OcrLine

Size = tuple[int, int]


def page_turns(lines: Sequence[OcrLine]) -> dict[int, int]:
    """Per page, the quarter turns (1, 2 or 3, clockwise) its text runs away from upright, for pages
    where more than half of the text (by characters) runs that way; upright pages are left out."""
    weights: dict[int, dict[int, int]] = {}
    for line in lines:
        turn = round(line.angle / 90) % 4
        on_page = weights.setdefault(line.page, {})
        on_page[turn] = on_page.get(turn, 0) + len(line.text.strip())
    turns: dict[int, int] = {}
    for page, by_turn in weights.items():
        turn, weight = max(by_turn.items(), key=lambda item: item[1])
        if turn and 2 * weight > sum(by_turn.values()):
            turns[page] = turn
    return turns


def upright(
    lines: Sequence[OcrLine], page_sizes: Sequence[Size], turns: dict[int, int]
) -> tuple[list[OcrLine], list[Size]]:
    """The lines and page sizes (``(width, height)`` of every page the lines are on) with every turned
    page turned upright."""
    turned = [_turn_line(ln, turns[ln.page], page_sizes[ln.page]) if ln.page in turns else ln for ln in lines]
    upright_sizes = [(h, w) if turns.get(i, 0) % 2 else (w, h) for i, (w, h) in enumerate(page_sizes)]
    return turned, upright_sizes


def turn_boxes_back(receipt: Receipt, turns: dict[int, int]) -> None:
    """Put every summary field's box, found on an upright page, back onto the page as stored."""
    for name in SUMMARY_FIELDS:
        box = getattr(receipt, name).box
        if box is not None and box.page in turns:
            getattr(receipt, name).box = _box_back(box, turns[box.page])


def _turn_line(line: OcrLine, turn: int, size: Size) -> OcrLine:
    width, height = size
    x0, y0, x1, y1 = line.box
    if turn == 1:  # text runs downwards: the page was turned a quarter clockwise
        box = (y0, width - x1, y1, width - x0)
    elif turn == 2:
        box = (width - x1, height - y1, width - x0, height - y0)
    else:  # text runs upwards
        box = (height - y1, x0, height - y0, x1)
    angle = (line.angle - 90 * turn + 180) % 360 - 180
    return replace(line, box=box, angle=angle)


def _box_back(box: FieldBox, turn: int) -> FieldBox:
    """``box`` (normalised, on the upright page) on the page as stored."""
    u0, v0, u1, v1 = box.x0, box.y0, box.x1, box.y1
    if turn == 1:
        x0, y0, x1, y1 = 1 - v1, u0, 1 - v0, u1
    elif turn == 2:
        x0, y0, x1, y1 = 1 - u1, 1 - v1, 1 - u0, 1 - v0
    else:
        x0, y0, x1, y1 = v0, 1 - u1, v1, 1 - u0
    return FieldBox(page=box.page, x0=round(x0, 4), y0=round(y0, 4), x1=round(x1, 4), y1=round(y1, 4))
