"""OCR lines for extractor unit tests, laid out like a printed receipt.

Each row is a string (segments left to right separated by `` | ``) or ``(text, height)`` for a row
printed larger (a brand in the header)."""

from __future__ import annotations

from collections.abc import Sequence

from receiptflow.models.ocr_lines import OcrLine

ROW_HEIGHT = 24.0
CHAR_WIDTH = 11.0


def receipt_lines(rows: Sequence[str | tuple[str, float]], *, confidence: float = 0.98) -> list[OcrLine]:
    """OcrLines for ``rows`` top to bottom (an empty string leaves an empty row)."""
    lines: list[OcrLine] = []
    y = 20.0
    for row in rows:
        text, height = (row, ROW_HEIGHT) if isinstance(row, str) else row
        x = 20.0
        for seg in (s.strip() for s in text.split(" | ") if s.strip()):
            width = CHAR_WIDTH * len(seg) * height / ROW_HEIGHT
            lines.append(OcrLine(text=seg, box=(x, y, x + width, y + height), confidence=confidence))
            x += width + 60.0
        y += height + 8.0
    return lines
