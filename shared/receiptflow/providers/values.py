"""Normalise printed values (amounts, dates, times, text) the cloud providers return as strings.

Date rule: ISO dates are read as written; a numeric ``A/B/Y`` date is day-first when ``A > 12``, month-first
when ``B > 12``, and otherwise follows ``day_first`` (callers pass ``day_first=False`` for US-dollar or
unknown-currency receipts, so ``12/07/2019`` is 7 December 2019, and ``True`` for currencies whose countries
write the day first). Two-digit years are 20YY.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from receiptflow.extract.dates import find_dates, find_times

CURRENCY_SYMBOLS: dict[str, str] = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "RM": "MYR",
    "S$": "SGD",
}
_CODES = ("USD", "EUR", "GBP", "JPY", "INR", "MYR", "SGD", "AUD", "CAD", "CHF", "CNY")
# Currencies whose home countries usually print numeric dates day-first.
DAY_FIRST_CURRENCIES = frozenset({"EUR", "GBP", "INR", "MYR", "SGD", "AUD", "CHF"})

_NUMBER = re.compile(r"\d(?:[\d,.']*\d)?")
_EDGE_JUNK = " \t\r\n-–—:|*"


def clean_text(text: str | None) -> str | None:
    """Whitespace (newlines included) collapsed to single spaces, stray edge dashes/colons removed."""
    if text is None:
        return None
    cleaned = " ".join(text.split()).strip(_EDGE_JUNK)
    return cleaned or None


def currency_of(text: str | None) -> str | None:
    """ISO 4217 code named or symbolised in ``text`` (``$`` is read as USD)."""
    if not text:
        return None
    upper = text.upper()
    for code in _CODES:
        if re.search(rf"\b{code}\b", upper):
            return code
    for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True):
        if symbol in upper:
            return CURRENCY_SYMBOLS[symbol]
    return None


def parse_money(text: str | None) -> Decimal | None:
    """The amount printed in ``text``: symbols, codes and suffixes (``"$899.99 S"``) ignored; ``1,350.00``,
    ``1.350,00`` and ``12,50`` understood; a leading minus or parentheses make it negative."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if match is None:
        return None
    digits = _decimal_digits(match.group(0).replace("'", ""))
    if digits is None:
        return None
    prefix = text[: match.start()]
    negative = "-" in prefix or "−" in prefix or ("(" in prefix and ")" in text[match.end() :])
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None
    return -amount if negative else amount


def _decimal_digits(number: str) -> str | None:
    last_comma, last_dot = number.rfind(","), number.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
        thousands = "." if decimal_sep == "," else ","
        whole, _, frac = number.rpartition(decimal_sep)
        whole = whole.replace(thousands, "")
        return f"{whole}.{frac}" if whole.isdigit() and frac.isdigit() else None
    for sep in (",", "."):
        if sep in number:
            whole, _, frac = number.rpartition(sep)
            # one "." is a decimal point; one "," is decimal unless three digits follow (1,350)
            if number.count(sep) == 1 and (sep == "." or len(frac) != 3):
                return f"{whole}.{frac}" if whole.isdigit() and frac.isdigit() else None
            joined = number.replace(sep, "")
            return joined if joined.isdigit() else None
    return number if number.isdigit() else None


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
