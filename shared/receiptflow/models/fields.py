"""Extracted field types: a normalised value, the text as printed, and a 0-1 confidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

V = TypeVar("V")


class FieldBox(BaseModel):
    """Where a field was read: its page (0-based) and an axis-aligned box normalised to the page
    (0..1, origin top left), so it fits the page image at any display size."""

    page: int = Field(default=0, ge=0)
    x0: float = Field(ge=0.0, le=1.0)
    y0: float = Field(ge=0.0, le=1.0)
    x1: float = Field(ge=0.0, le=1.0)
    y1: float = Field(ge=0.0, le=1.0)

    @classmethod
    def from_pixels(
        cls, page: int, box: tuple[float, float, float, float], size: tuple[float, float]
    ) -> FieldBox | None:
        """A box given in page pixels, clipped to the page; None when the page size is unknown or the
        box is empty."""
        width, height = size
        if width <= 0 or height <= 0:
            return None
        x0, y0, x1, y1 = (
            _clip(box[0] / width),
            _clip(box[1] / height),
            _clip(box[2] / width),
            _clip(box[3] / height),
        )
        if x1 <= x0 or y1 <= y0:
            return None
        return cls(page=page, x0=round(x0, 4), y0=round(y0, 4), x1=round(x1, 4), y1=round(y1, 4))


def _clip(value: float) -> float:
    return min(max(value, 0.0), 1.0)


class ExtractedField(BaseModel, Generic[V]):
    """One extracted value: ``value`` normalised, ``text`` exactly as printed, ``confidence`` in 0..1."""

    model_config = ConfigDict(frozen=False)

    value: V | None = None
    text: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    box: FieldBox | None = Field(default=None, description="where the field was read, when known")

    @property
    def present(self) -> bool:
        """True when the field holds a value."""
        return self.value is not None


class TextField(ExtractedField[str]):
    """A cleaned string (whitespace collapsed)."""


class DateField(ExtractedField[dt.date]):
    """A calendar date; serialised ISO 8601 (YYYY-MM-DD)."""


class TimeField(ExtractedField[dt.time]):
    """A time of day; serialised ISO 8601 (HH:MM[:SS])."""


class MoneyField(ExtractedField[Decimal]):
    """An amount as a Decimal, with the ISO 4217 currency it is in (when known)."""

    currency: str | None = None
