"""Extracted field types: a normalised value, the text as printed, and a 0-1 confidence."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

V = TypeVar("V")


class ExtractedField(BaseModel, Generic[V]):
    """One extracted value: ``value`` normalised, ``text`` exactly as printed, ``confidence`` in 0..1."""

    model_config = ConfigDict(frozen=False)

    value: V | None = None
    text: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)

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
