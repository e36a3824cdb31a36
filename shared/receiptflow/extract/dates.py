"""Dates and times as printed: numeric (D/M/Y, Y-M-D, M/D/Y when the locale says so) and month names."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from receiptflow.money import DIGITISH

MONTHS = {
    "JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
    "JUL": 7, "AUG": 8, "SEP": 9, "SEPT": 9, "OCT": 10, "NOV": 11, "DEC": 12,
}  # fmt: skip
_MON = r"(?P<mon>JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC)[A-Z]*\.?"
# The year may be glued to a following time ("25/12/20188:13:39"): allow a digit after it only
# when a time follows, also one whose colon a faded print lost after a four-digit year
# ("14/03/20185 57.07PM", training key 066 faded; on the training text lines glued that way, 361 → 422
# of 426 right).
_YEAR_END = r"(?:(?!\d)|(?=\d{1,2}:\d{2})|(?<=\d{4})(?=(?:[01]?\d|2[0-3])[\s.][0-5]\d(?!\d)))"
# not inside a code like HD03-04-06 or 5/40/160, but maybe glued to the time printed before it
# ("16:5819/05/18", training key 312 faded)
_NUM_START = r"(?:(?<![\w\-/.])|(?<=\d:\d\d))"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ymd",
        re.compile(
            _NUM_START + r"(?P<y>(?:19|20)\d{2})(?P<s>[/\-.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\w\-/])"
        ),
    ),
    (
        "num",
        re.compile(
            _NUM_START
            # a four-digit year is 19xx/20xx: "23/06/1812:46:33" is a two-digit year glued to its time
            + r"(?P<a>\d{1,2})(?P<s>[/\-.])(?P<b>\d{1,2})(?P=s)(?P<y>(?:19|20)\d{2}|\d{2})"
            + _YEAR_END
            + r"(?![\-/.]\d)"
        ),
    ),
    (
        "dmony",
        re.compile(
            r"(?<![\dA-Z])(?P<d>\d{1,2})(?P<s>[\s\-/.]?)\s?"
            + _MON
            + r"(?P=s)\s?,?\s?(?P<y>\d{4}|\d{2})"
            + _YEAR_END,
            re.I,
        ),
    ),
    (
        "mondy",
        re.compile(r"(?<![A-Z])" + _MON + r"\s?(?P<d>\d{1,2})(?:,\s*|\s+)(?P<y>\d{4})" + _YEAR_END, re.I),
    ),
    ("compact", re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")),
    # DDMMYYYY, as some tills print it next to the time ("25032018 13:11:54", training key 152)
    ("compact_dmy", re.compile(r"(?<!\d)(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>20\d{2})(?!\d)")),
)
TIME_RE = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])\s?[:.]\s?(?P<mi>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?(?![\d])\s?(?P<ap>[AaPp]\.?[Mm]\.?)?"
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text: its value, the printed substring and how sure the reading is (0..1)."""

    value: dt.date
    text: str
    start: int
    end: int
    certainty: float


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if len(y) == 2 else n


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


# a numeric date with a letter OCR read for a digit ("1S/11/2017", "2018-01-0S"): same separator
# twice, 4+ digits
_SLIPPED_DIGITS = re.compile(
    r"(?<![\w\-/.])(?=(?:[^\d\s]*\d){4})"
    r"(?:[\dOoDQlI|SB]{1,2}([/\-.])[\dOoDQlI|SB]{1,2}\1[\dOoDQlI|SB]{2,4}"
    r"|[\dOoDQlI|SB]{4}([/\-.])[\dOoDQlI|SB]{1,2}\2[\dOoDQlI|SB]{1,2})(?![\w\-/])"
)
# ... or in the day before a month name ("0S MAR 2018"): one digit and one letter (with the Y-M-D
# form above, on the training text lines with an S for a 5 in the date row: 410 → 420 of 426 right)
_SLIPPED_DAY = re.compile(
    r"(?<!\w)(?:\d[OoDQlI|SB]|[OoDQlI|SB]\d)(?=[\s\-/.]?(?i:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))"
)
# ... or in the year after a month name ("04 JUN 20l8", "JUN 14, 20l8"): a letter among its last two
_SLIPPED_YEAR = re.compile(
    r"(?P<pre>\b(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?[\s\-/.,]{1,2}(?:\d{1,2},?\s?)?)"
    r"(?P<y>(?:19|20)(?=[\dOoDQlI|SB]?[OoDQlI|SB])[\dOoDQlI|SB]{2})(?!\w)",
    re.I,
)


def _digits(m: re.Match[str]) -> str:
    return m.group(0).translate(DIGITISH)


def _year_digits(m: re.Match[str]) -> str:
    return m.group("pre") + m.group("y").translate(DIGITISH)


def find_dates(text: str, *, month_first: bool = False) -> list[DateMatch]:
    """Every date in ``text``. Numeric A/B/Y is day-first unless ``month_first`` (US locale cues); the
    other order is used when the preferred one is impossible, and ambiguous readings get lower certainty."""
    text = _SLIPPED_DIGITS.sub(_digits, text)
    text = _SLIPPED_YEAR.sub(_year_digits, _SLIPPED_DAY.sub(_digits, text))
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value, certainty = _read(kind, m, month_first)
            if value is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(DateMatch(value, text[m.start() : m.end()].strip(), m.start(), m.end(), certainty))
    return sorted(found, key=lambda d: d.start)


# OCR slips in a date's separators: "02~05-18", "05 02-18"
_SLIPPED_SEPARATORS = re.compile(r"(?<![\w\-/.])(\d{2})[~ ](\d{2})([\-/.~])(\d{2}|\d{4})(?![\w\-/])")
# ... or the second one: "05-05 2018" (a four-digit year, so a time such as "05-05 18:30" is not taken)
_SLIPPED_SECOND = re.compile(r"(?<![\w\-/.])(\d{2})([\-/.])(\d{2})[~ ]((?:19|20)\d{2})(?![\w\-/:])")
# ... or the first one lost: "0502-18" (training key 070, three of five readings); the text grows by one
# (on the training text lines with the first separator dropped: 132 → 409 of 426 right)
_LOST_FIRST = re.compile(r"(?<![\w\-/.])([0-3]\d)([01]\d)([\-/.])(\d{2}|(?:19|20)\d{2})(?![\w\-/])")
# ... or both read as spaces, on a row with a DATE label or a time ("Date5 3 2018", training key 042
# faded; on the training text lines with every date separator read as a space: 126 → 280 of 426)
_SPACED = re.compile(r"(?<!\d)(\d{1,2}) (\d{1,2}) ((?:19|20)\d{2})(?![\w\-/])")
_LABEL = re.compile(r"DATE|TARIKH", re.I)


def find_dates_lenient(text: str, *, month_first: bool = False) -> list[DateMatch]:
    """Dates whose separators OCR misread (``02~05-18``, ``05 02-18``), read as printed (``02-05-18``),
    lost one (``0502-18`` → ``05-02-18``) or, next to a DATE label or a time, read both as spaces
    (``5 3 2018`` → ``5/3/2018``, the labels' usual separator with a four-digit year: 308 of 369),
    with lower certainty. ``start``/``end`` index the mended text."""

    def mend(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(3)}{m.group(2)}{m.group(3)}{m.group(4)}".replace("~", "-")

    def mend_second(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{m.group(2)}{m.group(4)}"

    mended = _SLIPPED_SECOND.sub(mend_second, _SLIPPED_SEPARATORS.sub(mend, text))
    if mended == text:
        mended = _LOST_FIRST.sub(r"\1\3\2\3\4", text)
    if mended == text and (_LABEL.search(text) or find_times(text)):
        # with a space before it, as the date may be glued to its label ("Date5")
        mended = _SPACED.sub(r" \1/\2/\3", text)
    return [
        replace(d, certainty=d.certainty * 0.7)
        for d in find_dates(mended, month_first=month_first)
        if d.text not in text
    ]


def _read(kind: str, m: re.Match[str], month_first: bool) -> tuple[dt.date | None, float]:
    g = m.groupdict()
    if kind in ("ymd", "compact", "compact_dmy"):
        certainty = {"ymd": 0.9, "compact": 0.6, "compact_dmy": 0.5}[kind]
        return _safe_date(int(g["y"]), int(g["m"]), int(g["d"])), certainty
    if kind in ("dmony", "mondy"):
        return _safe_date(_year(g["y"]), MONTHS[g["mon"].upper()[:3]], int(g["d"])), 0.85
    a, b, y = int(g["a"]), int(g["b"]), _year(g["y"])
    first, second = ((b, a), (a, b)) if month_first else ((a, b), (b, a))  # (day, month) orders
    value = _safe_date(y, first[1], first[0])
    if value is not None:
        ambiguous = a <= 12 and b <= 12 and a != b
        return value, 0.8 if ambiguous else 0.95
    return _safe_date(y, second[1], second[0]), 0.85


@dataclass(frozen=True)
class TimeMatch:
    """A time of day found in a text."""

    value: dt.time
    text: str
    start: int


def find_times(text: str) -> list[TimeMatch]:
    """Every time of day (``8:13:39 PM``, ``18:24``) in ``text``."""
    found: list[TimeMatch] = []
    for m in TIME_RE.finditer(text):
        h, mi = int(m.group("h")), int(m.group("mi"))
        sec = int(m.group("s")) if m.group("s") else 0
        ap = (m.group("ap") or "").upper().replace(".", "")
        if ap == "PM" and h < 12:
            h += 12
        elif ap == "AM" and h == 12:
            h = 0
        if m.group("s") is None and not ap and ":" not in m.group(0):
            continue  # "12.50" is money, not a time
        found.append(TimeMatch(dt.time(h, mi, sec), m.group(0).strip(), m.start()))
    return found
