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
_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b")
_DAY_MONTH_NAME = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([A-Za-z]{3,9})\.?[\s\-/.,]*(\d{4}|\d{2})\b"
)
_MONTH_NAME_DAY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}|\d{2})\b")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")
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


def _year(text: str) -> int:
    value = int(text)
    return 2000 + value if len(text) == 2 else value


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date(text: str | None, *, day_first: bool = False) -> dt.date | None:
    """The calendar date printed in ``text`` (see the module docstring for the day/month rule)."""
    if not text:
        return None
    if match := _ISO_DATE.search(text):
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NUMERIC_DATE.search(text):
        first, second, year = int(match.group(1)), int(match.group(2)), _year(match.group(3))
        if first > 12 or (day_first and second <= 12):
            return _safe_date(year, second, first)
        return _safe_date(year, first, second)
    if (match := _DAY_MONTH_NAME.search(text)) and match.group(2).lower() in _MONTHS:
        return _safe_date(_year(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    if (match := _MONTH_NAME_DAY.search(text)) and match.group(1).lower() in _MONTHS:
        return _safe_date(_year(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
    return None


def parse_time(text: str | None) -> dt.time | None:
    """The time of day printed in ``text`` (12-hour clocks with AM/PM understood)."""
    if not text or not (match := _TIME.search(text)):
        return None
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    meridiem = (match.group(4) or "").replace(".", "").lower()
    if meridiem == "pm" and hour < 12:
        hour += 12
    elif meridiem == "am" and hour == 12:
        hour = 0
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        return None


def confidence(percent: float | None) -> float:
    """A provider's 0-100 confidence as 0..1 (clamped)."""
    if percent is None:
        return 0.0
    return max(0.0, min(1.0, percent / 100.0))
