"""Reading order: OCR lines grouped into visual rows, top to bottom, page by page."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from receiptflow.models.ocr_lines import OcrLine


@dataclass
class Row:
    """OCR lines sharing one horizontal band, left to right."""

    segments: list[OcrLine] = field(default_factory=list)
    index: int = 0

    @property
    def text(self) -> str:
        """The row's segments joined by single spaces."""
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def page(self) -> int:
        return self.segments[0].page

    @property
    def y0(self) -> float:
        return min(s.y0 for s in self.segments)

    @property
    def y1(self) -> float:
        return max(s.y1 for s in self.segments)

    @property
    def x0(self) -> float:
        return min(s.x0 for s in self.segments)

    @property
    def x1(self) -> float:
        return max(s.x1 for s in self.segments)

    @property
    def height(self) -> float:
        return sorted(s.height for s in self.segments)[len(self.segments) // 2]

    @property
    def confidence(self) -> float:
        return min(s.confidence for s in self.segments)


def _overlap(a: OcrLine, row: Row) -> float:
    """Vertical overlap of ``a`` with the row's last segment, relative to the smaller height."""
    last = row.segments[-1]
    top, bottom = max(a.y0, last.y0), min(a.y1, last.y1)
    smaller = max(min(a.height, last.height), 1.0)
    return max(bottom - top, 0.0) / smaller


def page_skew(lines: Sequence[OcrLine]) -> float:
    """The page's text slope in degrees: the median baseline angle of its wide lines (0 when unknown)."""
    angles = sorted(
        ln.angle for ln in lines if (ln.x1 - ln.x0) > 3 * max(ln.height, 1.0) and abs(ln.angle) < 20
    )
    return angles[len(angles) // 2] if angles else 0.0


def deskew(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """Lines with boxes rotated back by the page skew (about the page's left edge), so a photo taken at
    an angle still yields level rows; unchanged when the skew is under a quarter of a degree."""
    skew = page_skew(lines)
    if abs(skew) < 0.25:
        return list(lines)
    slope = math.tan(math.radians(skew))
    out = []
    for ln in lines:
        shift = ((ln.x0 + ln.x1) / 2) * slope
        x0, y0, x1, y1 = ln.box
        out.append(replace(ln, box=(x0, y0 - shift, x1, y1 - shift), angle=ln.angle - skew))
    return out


def group_rows(lines: Sequence[OcrLine]) -> list[Row]:
    """Group lines into rows: a line joins the open row whose band it overlaps by more than half.
    Each page is deskewed first."""
    rows: list[Row] = []
    for page in sorted({ln.page for ln in lines}):
        level = deskew([ln for ln in lines if ln.page == page and ln.text.strip()])
        page_lines = sorted(level, key=lambda ln: ln.cy)
        page_rows: list[Row] = []
        for ln in page_lines:
            best: Row | None = None
            best_overlap = 0.5
            for row in page_rows[-3:]:
                ov = _overlap(ln, row)
                if ov > best_overlap and not any(_x_overlaps(ln, s) for s in row.segments):
                    best, best_overlap = row, ov
            if best is None:
                page_rows.append(Row(segments=[ln]))
            else:
                best.segments.append(ln)
                best.segments.sort(key=lambda s: s.x0)
        rows.extend(page_rows)
    for i, row in enumerate(rows):
        row.index = i
    return rows


def _x_overlaps(a: OcrLine, b: OcrLine) -> bool:
    """True when two boxes overlap horizontally by more than a third of the narrower one."""
    overlap = min(a.x1, b.x1) - max(a.x0, b.x0)
    return overlap > min(a.x1 - a.x0, b.x1 - b.x0) / 3
