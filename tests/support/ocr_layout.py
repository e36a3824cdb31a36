"""Builds OCR lines for extractor tests from a text layout: one string per printed row, segments of
the same row separated by `` | `` (placed left to right as OCR boxes)."""

from __future__ import annotations

from collections.abc import Sequence

from receiptflow.models.ocr_lines import OcrLine

ROW_HEIGHT = 30.0
CHAR_WIDTH = 12.0


def ocr_lines(rows: Sequence[str], *, confidence: float = 0.98) -> list[OcrLine]:
    """OcrLines laid out like a printed receipt (blank strings leave an empty row)."""
    lines: list[OcrLine] = []
    for i, row in enumerate(rows):
        segments = [s.strip() for s in row.split(" | ")] if row.strip() else []
        y0 = 20.0 + i * (ROW_HEIGHT + 8.0)
        x = 20.0
        for seg in segments:
            width = CHAR_WIDTH * len(seg)
            lines.append(OcrLine(text=seg, box=(x, y0, x + width, y0 + ROW_HEIGHT), confidence=confidence))
            x += width + 80.0
    return lines
