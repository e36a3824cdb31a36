"""The OCR output every extractor consumes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrLine:
    """One text line: its text, axis-aligned box ``(x0, y0, x1, y1)`` in page pixels, confidence, page,
    and the direction its text runs in degrees: near 0 on an upright page (positive when the line slopes
    down to the right), near 90 when it runs downwards, 180 upside down, -90 upwards."""

    text: str
    box: tuple[float, float, float, float]
    confidence: float = 1.0
    page: int = 0
    angle: float = 0.0

    @property
    def x0(self) -> float:
        return self.box[0]

    @property
    def y0(self) -> float:
        return self.box[1]

    @property
    def x1(self) -> float:
        return self.box[2]

    @property
    def y1(self) -> float:
        return self.box[3]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def cy(self) -> float:
        return (self.box[1] + self.box[3]) / 2
