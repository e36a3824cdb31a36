"""Dates and times as printed: numeric (D/M/Y, Y-M-D, M/D/Y when the locale says so) and month names."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, replace

from receiptflow.extract import cue_table
from receiptflow.money import DIGITISH

# Month names as receipts print them, per language (full forms, genitive forms where dates use them).
# A word reads as a month when it is one of these, an accent-less spelling of one, or a prefix of at
# least three letters that only one month's names share ("SEPT", "OKT", "DEZ", "FÉVR", "LIS", "ЯНВ").
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december"),
    "de": ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
           "oktober", "november", "december"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro",
           "outubro", "novembro", "dezembro"),
    "pl": ("styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec", "lipiec", "sierpień", "wrzesień",
           "październik", "listopad", "grudzień"),
    "pl-gen": ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września",
               "października", "listopada", "grudnia"),
    "cs": ("leden", "únor", "březen", "duben", "květen", "červen", "červenec", "srpen", "září", "říjen",
           "listopad", "prosinec"),
    "cs-gen": ("ledna", "února", "března", "dubna", "května", "června", "července", "srpna", "září", "října",
               "listopadu", "prosince"),
    "tr": ("ocak", "şubat", "mart", "nisan", "mayıs", "haziran", "temmuz", "ağustos", "eylül", "ekim",
           "kasım", "aralık"),
    "sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
           "november", "december"),
    "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"),
    "no": ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "desember"),
    "ms": ("januari", "februari", "mac", "april", "mei", "jun", "julai", "ogos", "september", "oktober",
           "november", "disember"),
    "id": ("januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus", "september", "oktober",
           "november", "desember"),
    "ru": ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
           "ноябрь", "декабрь"),
    "ru-gen": ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
               "октября", "ноября", "декабря"),
    "uk": ("січень", "лютий", "березень", "квітень", "травень", "червень", "липень", "серпень", "вересень",
           "жовтень", "листопад", "грудень"),
    "uk-gen": ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
               "жовтня", "листопада", "грудня"),
    "bg": ("януари", "февруари", "март", "април", "май", "юни", "юли", "август", "септември", "октомври",
           "ноември", "декември"),
}  # fmt: skip
# Other spellings (Austrian, Latin-American), read like the names above.
MONTH_VARIANTS: dict[str, int] = {"jänner": 1, "feber": 2, "setiembre": 9}
# Abbreviations that are no prefix of their month's name.
MONTH_ABBREVIATIONS: dict[str, int] = {"MRZ": 3, "MRT": 3, "SEPT": 9, "AGT": 8}
# Thai months: abbreviations with their dots, and full names (written without spaces, so matched apart).
THAI_MONTHS: tuple[tuple[str, str], ...] = (
    ("ม.ค.", "มกราคม"), ("ก.พ.", "กุมภาพันธ์"), ("มี.ค.", "มีนาคม"), ("เม.ย.", "เมษายน"),
    ("พ.ค.", "พฤษภาคม"), ("มิ.ย.", "มิถุนายน"), ("ก.ค.", "กรกฎาคม"), ("ส.ค.", "สิงหาคม"),
    ("ก.ย.", "กันยายน"), ("ต.ค.", "ตุลาคม"), ("พ.ย.", "พฤศจิกายน"), ("ธ.ค.", "ธันวาคม"),
)  # fmt: skip


_THAI_NAMES = [name for pair in THAI_MONTHS for name in pair]


def _plain(word: str) -> str:
    """Upper case without diacritics (``FÉVRIER`` → ``FEVRIER``, ``ŞUBAT`` → ``SUBAT``; ``ı`` → ``I``)."""
    decomposed = unicodedata.normalize("NFKD", word.upper().replace("ı", "I"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _month_words() -> dict[str, int]:
    words: dict[str, set[int]] = {}
    full: dict[str, int] = {}
    named = [(m, n) for names in MONTH_NAMES.values() for m, n in enumerate(names, start=1)]
    for month, name in named + [(m, n) for n, m in MONTH_VARIANTS.items()]:
        for spelling in {name.upper(), _plain(name)}:
            full[spelling] = month
            for end in range(3, len(spelling) + 1):
                words.setdefault(spelling[:end], set()).add(month)
    found = {w: next(iter(months)) for w, months in words.items() if len(months) == 1}
    return {**found, **full, **MONTH_ABBREVIATIONS}


MONTH_WORDS: dict[str, int] = _month_words()


def month_of(word: str) -> int | None:
    """The month a printed word names (any language above), or None."""
    key = word.strip(".").upper()
    return MONTH_WORDS.get(key) or MONTH_WORDS.get(_plain(key))


# English month abbreviations (the OCR slip repairs below were measured on English dates)
_MON = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEPT?|OCT|NOV|DEC)"
# The year may be glued to a following time ("25/12/20188:13:39"): allow a digit after it only
# when a time follows, also one whose colon a faded print lost after a four-digit year
# ("14/03/20185 57.07PM", training key 066 faded; on the training text lines glued that way, 361 → 422
# of 426 right).
_YEAR_END = r"(?:(?!\d)|(?=\d{1,2}:\d{2})|(?<=\d{4})(?=(?:[01]?\d|2[0-3])[\s.][0-5]\d(?!\d)))"
# not inside a code like HD03-04-06 or 5/40/160, but maybe glued to the time printed before it
# ("16:5819/05/18", training key 312 faded) or to a weekday or DATE label ("Tue09/20/16")
_NUM_START = r"(?:(?<![\w\-/.])|(?<=\d:\d\d)|(?i:(?<=MON|TUE|WED|THU|FRI|SAT|SUN)|(?<=DATE)|(?<=DATE:)))"
# a four-digit year: Gregorian 19xx/20xx, or Buddhist era 2540-2599 (Thailand: 2568 = 2025)
_YEAR4 = r"(?:19\d{2}|20\d{2}|25[4-9]\d)"
# a month word: letters of any script (the lookup decides whether it is a month)
_WORD = r"(?P<mon>[^\W\d_]{3,})\.?"
_DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ymd",
        re.compile(
            _NUM_START
            + rf"(?P<y>{_YEAR4})(?P<s>[/\-.])(?P<m>\d{{1,2}})(?P=s)(?P<d>\d{{1,2}})"
            # ... maybe glued to its time without separators ("2017-02-12144838")
            + r"(?:(?![\w\-/])|(?=(?:[01]\d|2[0-3])[0-5]\d[0-5]\d(?!\d)))"
        ),
    ),
    (
        "num",
        re.compile(
            _NUM_START
            # a four-digit year is 19xx/20xx/25xx: "23/06/1812:46:33" is a two-digit year glued to its time
            + rf"(?P<a>\d{{1,2}})(?P<s>[/\-.])(?P<b>\d{{1,2}})(?P=s)(?P<y>{_YEAR4}|\d{{2}})"
            + _YEAR_END
            + r"(?![\-/.]\d)"
        ),
    ),
    # CJK: 2024年5月20日, 2024년 5월 20일; 令和6年5月20日 and 民國113年 are converted from their era
    (
        "cjk",
        re.compile(
            r"(?P<era>令和|平成|昭和|民國|民国)?\s?(?P<y>\d{4}|\d{1,3}|元)\s?[年년]\s?(?P<m>\d{1,2})\s?[月월]"
            r"\s?(?P<d>\d{1,2})\s?[日일]?"
        ),
    ),
    # 5 March 2024, 5. März 2024, 5 de marzo de 2024, 23juin2016, 28-Jun-2015, 20Mar'17, 5 марта 2024 г.
    (
        "dmony",
        re.compile(
            r"(?<![\d.,])(?P<d>[0-3]?\d)(?:\.|st|nd|rd|th)?[\s\-/.]{0,2}(?:de\s+)?"
            + _WORD
            + rf"(?P<s2>[\s\-/.,]{{0,2}})(?:de\s+)?(?P<y>{_YEAR4}|['’´`]?\d{{2}})"
            # ("KS#3 Oct.10'15": the 10 is the day of a month-first date)
            + r"(?!['’´`]\d)"
            + _YEAR_END,
            re.I,
        ),
    ),
    # March 5, 2024; Mar05,2017; DEC23'14; Oct.10'15; Jul/15/2017; Aug262017
    (
        "mondy",
        re.compile(
            r"(?<![^\W\d_])"
            + _WORD
            + r"[\s\-/.]{0,2}(?P<d>[0-3]?\d)(?:st|nd|rd|th)?"
            + rf"(?:[,./\-]?\s*(?P<y>{_YEAR4})|\s?['’´`](?P<y2>\d{{2}})|/(?P<y3>\d{{2}})"
            + r"|:(?P<y4>\d{2})(?!:))"
            + _YEAR_END,
            re.I,
        ),
    ),
    # Thai: 5 มี.ค. 2568, 5 มีนาคม 68
    (
        "thai",
        re.compile(
            r"(?<!\d)(?P<d>[0-3]?\d)\s?(?P<mon>"
            + "|".join(
                re.escape(n) for n in sorted((n for p in THAI_MONTHS for n in p), key=len, reverse=True)
            )
            + rf")\s?(?P<y>{_YEAR4}|\d{{2}})(?!\d)"
        ),
    ),
    # Japanese era letters (R6.5.20 = 2024-05-20, H30.1.5 = 2018-01-05) and ROC years (113/05/20 =
    # 2024-05-20): read only on receipts whose locale uses them
    (
        "era_ymd",
        re.compile(
            r"(?<![\w\-/.])(?P<era>[RH])?\s?(?P<y>1[0-4]\d|\d{1,2})(?P<s>[/\-.])(?P<m>\d{1,2})(?P=s)"
            r"(?P<d>\d{1,2})(?![\w\-/])"
        ),
    ),
    ("compact", re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")),
    # DDMMYYYY, as some tills print it next to the time ("25032018 13:11:54", training key 152)
    ("compact_dmy", re.compile(r"(?<!\d)(?P<d>[0-3]\d)(?P<m>[01]\d)(?P<y>20\d{2})(?!\d)")),
)
_THAI_MONTH = {name: month for month, pair in enumerate(THAI_MONTHS, start=1) for name in pair}
TIME_RE = re.compile(
    r"(?<![\d:])(?P<h>[01]?\d|2[0-3])\s?(?P<sep>[:.hH])\s?(?P<mi>[0-5]\d)(?:\s?[:.]\s?(?P<s>[0-5]\d))?(?![\d])"
    r"\s?(?P<ap>[AaPp]\.?[Mm]\.?|Uhr\b)?"
)


@dataclass(frozen=True)
class DateMatch:
    """A date found in a text: its value, the printed substring and how sure the reading is (0..1)."""

    value: dt.date
    text: str
    start: int
    end: int
    certainty: float


BUDDHIST_OFFSET = 543
ROC_OFFSET = 1911
JAPANESE_ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925}


def _year(y: str, era: str | None, today: dt.date) -> int:
    """A printed year as a Gregorian one: Buddhist-era years (25xx) less 543; two digits are 20xx, or on
    a Thai receipt the Buddhist era (``68`` = 2568 = 2025) when 20xx would lie in the future, or 19xx
    when 20xx would lie in the future elsewhere."""
    digits = y.lstrip("'’´`")
    n = int(digits)
    if len(digits) == 4:
        return n - BUDDHIST_OFFSET if n >= 2400 else n
    year = 2000 + n
    if year <= today.year + 1:
        return year
    if era == "buddhist" and 2500 + n - BUDDHIST_OFFSET <= today.year + 1:
        return 2500 + n - BUDDHIST_OFFSET
    return 1900 + n


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


# ... or a 1 for the l of "Jul" ("Ju1/15/2017", "Ju119'14": the l glued to the day)
_SLIPPED_MONTH = re.compile(r"(?<=(?<![^\W\d_])[Jj][Uu])[1I|](?=[\d/\-.\s'])")


def _digits(m: re.Match[str]) -> str:
    return m.group(0).translate(DIGITISH)


def _year_digits(m: re.Match[str]) -> str:
    return m.group("pre") + m.group("y").translate(DIGITISH)


def find_dates(
    text: str, *, month_first: bool = False, era: str | None = None, today: dt.date | None = None
) -> list[DateMatch]:
    """Every date in ``text``. Numeric A/B/Y is day-first unless ``month_first`` (the receipt's locale,
    ``locale.infer_date_locale``); the other order is used when the preferred one is impossible, and
    ambiguous readings get lower certainty. Month names are read in many languages. ``era``
    (``buddhist``, ``roc``, ``japanese``) says which calendar short years may count in; ``today``
    (default: the clock) decides whether a two-digit year is in the future."""
    today = today or dt.date.today()
    text = _SLIPPED_MONTH.sub("l", _SLIPPED_DIGITS.sub(_digits, text))
    text = _SLIPPED_YEAR.sub(_year_digits, _SLIPPED_DAY.sub(_digits, text))
    found: list[DateMatch] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            value, certainty = _read(kind, m, month_first, era, today)
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


# ... or noise around them: spaces ("11/02 /2017"), two different ones ("11,02/2017", "11/02.2017",
# "11:02:2017"); with a four-digit year only
_NOISY = re.compile(
    r"(?<![\w\-/.,:])(\d{1,2}) ?([/\-.,:]) ?(\d{1,2}) ?([/\-.,:]) ?((?:19|20)\d{2})(?![\w\-/:])"
)
# ... and, next to a DATE label or a time, the second one lost ("11/0217 18:04") or a letter for the
# year's last digit ("07-03-201σ", "2O1b")
_LOST_SECOND = re.compile(r"(?<![\w\-/.])(\d{1,2})([/\-.])([01]\d)(\d{2})(?![\w\-/.:,])")
_YEAR_GLYPH = re.compile(r"(?<![\w\-/.])(\d{1,2})([/\-.])(\d{1,2})\2((?:19|20)\d)([bGσбgqZzA])(?![\w\-/])")
_GLYPH_DIGIT = str.maketrans("bGσбgqZzA", "666699224")


def _noisy(m: re.Match[str]) -> str:
    seps = [c for c in (m.group(2), m.group(4)) if c in "/-."] or ["/"]
    return f"{m.group(1)}{seps[0]}{m.group(3)}{seps[0]}{m.group(5)}"


def find_dates_lenient(
    text: str, *, month_first: bool = False, era: str | None = None, today: dt.date | None = None
) -> list[DateMatch]:
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
    if mended == text:
        mended = _NOISY.sub(_noisy, text)
    labelled = "date" in cue_table.roles(text) or bool(find_times(text))
    if mended == text and labelled:
        mended = _YEAR_GLYPH.sub(lambda m: m.group(0)[:-1] + m.group(5).translate(_GLYPH_DIGIT), text)
    if mended == text and labelled:
        mended = _LOST_SECOND.sub(r"\1\2\3\2\4", text)
    if mended == text and labelled:
        # with a space before it, as the date may be glued to its label ("Date5")
        mended = _SPACED.sub(r" \1/\2/\3", text)
    return [
        replace(d, certainty=d.certainty * 0.7)
        for d in find_dates(mended, month_first=month_first, era=era, today=today)
        if d.text not in text
    ]


def _read(
    kind: str, m: re.Match[str], month_first: bool, era: str | None, today: dt.date
) -> tuple[dt.date | None, float]:
    g = m.groupdict()
    if kind in ("ymd", "compact", "compact_dmy"):
        certainty = {"ymd": 0.9, "compact": 0.6, "compact_dmy": 0.5}[kind]
        return _safe_date(_year(g["y"], era, today), int(g["m"]), int(g["d"])), certainty
    if kind == "era_ymd":
        return _read_era(g, era), 0.85
    if kind == "cjk":
        return _read_cjk(g, era), 0.9
    if kind in ("dmony", "mondy", "thai"):
        return _read_month_name(kind, g, era, today)
    a, b, y = int(g["a"]), int(g["b"]), _year(g["y"], era, today)
    first, second = ((b, a), (a, b)) if month_first else ((a, b), (b, a))  # (day, month) orders
    value = _safe_date(y, first[1], first[0])
    if value is not None:
        ambiguous = a <= 12 and b <= 12 and a != b
        return value, 0.8 if ambiguous else 0.95
    return _safe_date(y, second[1], second[0]), 0.85


def _read_month_name(
    kind: str, g: dict[str, str | None], era: str | None, today: dt.date
) -> tuple[dt.date | None, float]:
    word, day = g["mon"] or "", int(g["d"] or 0)
    month = _THAI_MONTH.get(word) if kind == "thai" else month_of(word)
    year = g["y"] or g.get("y2") or g.get("y3") or g.get("y4") or ""
    certainty = 0.6 if g.get("y4") else 0.85
    if month is None and kind != "thai" and (len(year) == 4 or year[:1] in "'’´`" or g.get("y2")):
        # an English abbreviation with one letter misread ("20Nar'17", "Hay 26, 2017"), only in a
        # full date with a four-digit or an apostrophed year
        month, certainty = _misread_month(word), 0.6
    if month is None or not year:
        return None, 0.0
    if kind == "thai":
        era = "buddhist"
    elif kind == "dmony" and len(year) == 2 and not (set(g.get("s2") or "") & set("-/.")):
        # "1 MARS 25" may be an item and its price: a bare two-digit year only after a three-letter
        # month ("12 JAN 18") or between date separators ("28-Jun-15")
        if len(word.strip(".")) != 3:
            return None, 0.0
    # ("JAN09:03" may be January 9th '03 with the apostrophe read as a colon, or a time)
    return _safe_date(_year(year, era, today), month, day), certainty


# letters OCR confuses in printed month abbreviations
_OCR_LETTERS = {
    "N": "M",
    "H": "M",
    "0": "O",
    "D": "O",
    "Q": "O",
    "1": "I",
    "L": "I",
    "V": "U",
    "5": "S",
    "8": "B",
}
_ENGLISH_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _misread_month(word: str) -> int | None:
    """The English month a three-letter word names with one letter misread, when only one fits."""
    word = word.strip(".").upper()
    if len(word) != 3:
        return None
    found = {
        m
        for m, name in enumerate(_ENGLISH_MONTHS, start=1)
        if sum(a != b for a, b in zip(word, name, strict=True)) == 1
        and all(a == b or _OCR_LETTERS.get(a) == b for a, b in zip(word, name, strict=True))
    }
    return found.pop() if len(found) == 1 else None


def _read_era(g: dict[str, str | None], era: str | None) -> dt.date | None:
    y, m, d = int(g["y"] or 0), int(g["m"] or 0), int(g["d"] or 0)
    if era == "japanese" and g["era"]:
        return _safe_date(JAPANESE_ERAS[g["era"]] + y, m, d)
    if era == "roc" and not g["era"] and y >= 100:
        return _safe_date(ROC_OFFSET + y, m, d)
    return None


def _read_cjk(g: dict[str, str | None], era: str | None) -> dt.date | None:
    printed, name = g["y"] or "", g["era"]
    y = 1 if printed == "元" else int(printed)
    m, d = int(g["m"] or 0), int(g["d"] or 0)
    if name in JAPANESE_ERAS:
        return _safe_date(JAPANESE_ERAS[name] + y, m, d)
    if name in ("民國", "民国") or (era == "roc" and y < 1000):
        return _safe_date(ROC_OFFSET + y, m, d)
    if len(printed) == 4:
        return _safe_date(y, m, d)
    return _safe_date(2000 + y, m, d) if len(printed) == 2 else None


@dataclass(frozen=True)
class TimeMatch:
    """A time of day found in a text."""

    value: dt.time
    text: str
    start: int


def find_times(text: str) -> list[TimeMatch]:
    """Every time of day (``8:13:39 PM``, ``18:24``, ``14h30``, ``14.30 Uhr``) in ``text``."""
    found: list[TimeMatch] = []
    for m in TIME_RE.finditer(text):
        h, mi = int(m.group("h")), int(m.group("mi"))
        sec = int(m.group("s")) if m.group("s") else 0
        ap = (m.group("ap") or "").upper().replace(".", "")
        if ap == "PM" and h < 12:
            h += 12
        elif ap == "AM" and h == 12:
            h = 0
        if m.group("s") is None and not ap and m.group("sep") == ".":
            continue  # "12.50" is money, not a time (unless "Uhr" follows)
        if m.group("sep") in "hH" and m.start() and text[m.start() - 1].isalpha():
            continue  # "CH1H50" is a code
        found.append(TimeMatch(dt.time(h, mi, sec), m.group(0).strip(), m.start()))
    return found
