"""Normalise printed values (amounts, dates, times, text) the cloud providers return as strings.

Amounts and currencies are read by ``receiptflow.money`` (``parse_money`` is ``money.parse_amount``,
``currency_of`` is ``money.currency_of``), exactly as the local extractor reads them.

Date rule: ISO dates are read as written; a numeric ``A/B/Y`` date is day-first when ``A > 12``, month-first
when ``B > 12``, and otherwise follows ``day_first`` (callers pass ``day_first=False`` for US-dollar or
unknown-currency receipts, so ``12/07/2019`` is 7 December 2019, and ``True`` for currencies whose countries
write the day first). Two-digit years are 20YY.
"""

from __future__ import annotations

import datetime as dt

from receiptflow.extract.dates import find_dates, find_times
from receiptflow.money import currency_of
from receiptflow.money import parse_amount as parse_money

__all__ = [
    "DAY_FIRST_CURRENCIES",
    "clean_text",
    "confidence",
    "currency_of",
    "parse_date",
    "parse_money",
    "parse_time",
]

# Currencies whose home countries usually print numeric dates day-first.
DAY_FIRST_CURRENCIES = frozenset({"EUR", "GBP", "INR", "MYR", "SGD", "AUD", "CHF"})

_EDGE_JUNK = " \t\r\n-–—:|*"


def clean_text(text: str | None) -> str | None:
    """Whitespace (newlines included) collapsed to single spaces, stray edge dashes/colons removed."""
    if text is None:
        return None
    cleaned = " ".join(text.split()).strip(_EDGE_JUNK)
    return cleaned or None


def parse_date(text: str | None, *, day_first: bool = False) -> dt.date | None:
    """The calendar date printed in ``text`` (see the module docstring for the day/month rule); the
    extractor's date reader, so providers and the local engine read dates alike."""
    found = find_dates(text, month_first=not day_first) if text else []
    return found[0].value if found else None


def parse_time(text: str | None) -> dt.time | None:
    """The time of day printed in ``text`` (12-hour clocks with AM/PM understood)."""
    found = find_times(text) if text else []
    return found[0].value if found else None


def confidence(percent: float | None) -> float:
    """A provider's 0-100 confidence as 0..1 (clamped)."""
    if percent is None:
        return 0.0
    return max(0.0, min(1.0, percent / 100.0))
