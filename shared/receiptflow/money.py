"""THE money module: amounts and currencies as receipts print them, in every common convention.

- Currencies: one table of ISO 4217 codes and the symbols, codes and local abbreviations that name them
  (``$``, ``€``, ``RM``, ``zł``, ``Kč``, ``₺``, ``грн``, ``฿``, ``₹`` …), also glued to the amount
  (``12,50zł``, ``PLN12.50``).
- Conventions: the decimal separator (``12.50`` or ``12,50``), thousands separators (``1,129.00``,
  ``1.129,00``, ``1 129,00``, ``1'129.00``), whole amounts (``12,-``), negatives (``-1.50``,
  ``1,50-``, ``(1.50)``, ``−1.50``), currencies without minor units (``¥1,280``), and OCR slips (``1O.5O``,
  ``RM5:00``, a dropped decimal point at the end of a labelled row). ``infer_convention`` works out a
  receipt's decimal separator from every number printed on it.
- ``find_amounts`` reads every amount of a printed row, with positions (OCR extraction);
  ``parse_amount`` reads the one amount of a field value (cloud providers); ``detect_currency`` and
  ``currency_of`` name the currency.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from receiptflow.extract.text import fold

# ISO code -> (digits after the decimal separator, the separator its home countries print)
CURRENCIES: dict[str, tuple[int, str]] = {
    "USD": (2, "."), "EUR": (2, ","), "GBP": (2, "."), "MYR": (2, "."), "SGD": (2, "."),
    "AUD": (2, "."), "CAD": (2, "."), "NZD": (2, "."), "HKD": (2, "."), "CHF": (2, "."),
    "JPY": (0, "."), "CNY": (2, "."), "KRW": (0, "."), "TWD": (0, "."), "INR": (2, "."),
    "THB": (2, "."), "IDR": (0, ","), "PHP": (2, "."), "VND": (0, ","), "PLN": (2, ","),
    "CZK": (2, ","), "HUF": (0, ","), "RON": (2, ","), "BGN": (2, ","), "TRY": (2, ","),
    "RUB": (2, ","), "UAH": (2, ","), "SEK": (2, ","), "NOK": (2, ","), "DKK": (2, ","),
    "ISK": (0, ","), "BRL": (2, ","), "MXN": (2, "."), "ZAR": (2, "."), "ILS": (2, "."),
    "AED": (2, "."), "SAR": (2, "."), "EGP": (2, "."), "PKR": (2, "."), "LKR": (2, "."),
    "BDT": (2, "."), "NGN": (2, "."), "KES": (2, "."), "MAD": (2, ","), "RSD": (2, ","),
}  # fmt: skip

# Printed token -> ISO code. Matched case-insensitively after diacritics are removed (``Kč`` = ``KC``);
# letter tokens only where no letter touches them (``KR`` in ``KRAFT`` is not a krona).
SYMBOLS: dict[str, str] = {
    "$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR",
    "£": "GBP", "GBP": "GBP", "RM": "MYR", "MYR": "MYR", "S$": "SGD", "SGD": "SGD",
    "A$": "AUD", "AU$": "AUD", "AUD": "AUD", "C$": "CAD", "CA$": "CAD", "CAD": "CAD",
    "NZ$": "NZD", "NZD": "NZD", "HK$": "HKD", "HKD": "HKD", "CHF": "CHF", "SFR": "CHF", "FR.": "CHF",
    "¥": "JPY", "￥": "JPY", "JPY": "JPY", "円": "JPY", "RMB": "CNY", "CNY": "CNY", "元": "CNY",
    "₩": "KRW", "KRW": "KRW", "원": "KRW", "NT$": "TWD", "TWD": "TWD", "₹": "INR", "INR": "INR",
    "RS": "INR", "RS.": "INR", "₨": "INR", "฿": "THB", "THB": "THB", "บาท": "THB", "RP": "IDR",
    "IDR": "IDR", "₱": "PHP", "PHP": "PHP", "₫": "VND", "VND": "VND", "ZŁ": "PLN", "ZL": "PLN",
    "PLN": "PLN", "KČ": "CZK", "KC": "CZK", "CZK": "CZK", "FT": "HUF", "HUF": "HUF", "LEI": "RON",
    "RON": "RON", "ЛВ": "BGN", "ЛВ.": "BGN", "BGN": "BGN", "₺": "TRY", "TL": "TRY", "TRY": "TRY",
    "₽": "RUB", "РУБ": "RUB", "РУБ.": "RUB", "RUB": "RUB", "₴": "UAH", "ГРН": "UAH", "UAH": "UAH",
    "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "KR": "SEK", "KR.": "DKK", "ISK": "ISK",
    "R$": "BRL", "BRL": "BRL", "MXN": "MXN", "ZAR": "ZAR", "₪": "ILS", "ILS": "ILS", "AED": "AED",
    "SAR": "SAR", "EGP": "EGP", "PKR": "PKR", "LKR": "LKR", "৳": "BDT", "BDT": "BDT", "₦": "NGN",
    "KES": "KES", "MAD": "MAD", "DH": "MAD", "RSD": "RSD", "DIN": "RSD",
}  # fmt: skip
# letter tokens that are words or abbreviations too (``Cad.`` a Turkish street, ``DRY RUB``, ``TRY OUR``):
# a currency only right beside an amount
_WEAK = frozenset(
    {"RS", "RS.", "FT", "LEI", "TL", "KR", "KR.", "DH", "DIN", "RP", "FR.", "ZL", "KC"}
    | {"CAD", "MAD", "TRY", "RUB", "SAR", "ILS", "PHP"}
)
# an ISO code in Latin letters counts only as printed, in capitals: ``Cad.``/``Mad`` are words
_ISO_CODE = re.compile(r"[A-Z]{3}")
# "$" alone is read as USD, but a receipt naming another dollar keeps that one
_DOLLARS = frozenset({"USD", "SGD", "AUD", "CAD", "NZD", "HKD", "TWD", "MXN"})

_LETTER = r"[^\W\d_]"


def _token_pattern(token: str) -> str:
    folded = re.escape(fold(token))
    if token[0].isalpha():
        folded = rf"(?<!{_LETTER}){folded}"
    if token[-1].isalpha():
        folded = rf"{folded}(?!{_LETTER})"
    return folded


_FOLDED_SYMBOLS = {fold(k): v for k, v in SYMBOLS.items()}
_ISO_CODES = frozenset(SYMBOLS.values())
_CUR = "(?:" + "|".join(_token_pattern(t) for t in sorted(SYMBOLS, key=len, reverse=True)) + ")"
# every token, longest first, letter boundaries checked after a match (faster than in the pattern)
_CUR_SCAN = re.compile("|".join(re.escape(fold(t)) for t in sorted(SYMBOLS, key=len, reverse=True)))


def _currency_tokens(folded: str) -> list[re.Match[str]]:
    """Currency tokens in folded text; a letter token only where no letter touches it."""
    out = []
    pos = 0
    while (m := _CUR_SCAN.search(folded, pos)) is not None:
        token = m.group(0)
        glued = (token[0].isalpha() and m.start() > 0 and folded[m.start() - 1].isalpha()) or (
            token[-1].isalpha() and m.end() < len(folded) and folded[m.end()].isalpha()
        )
        if glued:  # look again inside it ("FOR$2" holds "$", not "R$")
            pos = m.start() + 1
            continue
        out.append(m)
        pos = m.end()
    return out


# Unicode digits (Thai, Arabic-Indic, Devanagari, full-width …) read as ASCII, one character each
_UNICODE_DIGITS = {
    ord(ch): str(unicodedata.digit(ch))
    for start in (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50, 0x0ED0, 0x1040, 0xFF10)
    for ch in map(chr, range(start, start + 10))
}
_UNICODE_DIGITS.update({ord("．"): ".", ord("，"): ",", ord("−"): "-", ord("－"): "-"})
# letters OCR reads for digits, inside tokens that are clearly numbers
DIGITISH = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
)
_COLON_DECIMAL = re.compile(r"(?:RM|\$|€|£)\s?\d+:\d{2}(?!\d|:)")
# a "$" OCR read as "S" before an amount with a decimal point ("S12.50", "TOTAL S 8.99"): standing
# alone, not part of a word or code; up to three digits (or one thousands group) before the point (tax
# codes glued to quantities such as "S4218.00" are left alone)
_DOLLAR_AS_S = re.compile(r"(?<![\w$.,])S(?=\s?\d{1,3}(?:,\d{3})?\.\d{2}(?![\d.,]))")
# a number token, also glued to a currency prefix ("RM7.7O")
_NUMERIC_TOKEN = re.compile(r"(?:(?<=RM)|(?<![A-Za-z]))[\dOoDQUlI|SB]+[.,][\dOoDQUlI|SB]{2}(?![A-Za-z]{2})")


@dataclass(frozen=True)
class Convention:
    """How a receipt prints amounts: its decimal separator and its digits after it (0 for ``¥1,280``)."""

    decimal: str = "."
    minor: int = 2


DOT = Convention(".")
COMMA = Convention(",")


@dataclass(frozen=True)
class Amount:
    """One amount found in a text: the Decimal, the printed span and any currency next to it."""

    value: Decimal
    text: str
    start: int
    end: int
    currency: str | None = None


def fix_digits(text: str) -> str:
    """Undo OCR confusions inside tokens that are clearly numbers (``1O.5O`` → ``10.50``, ``RM5:00`` →
    ``RM5.00``, ``S12.50`` → ``$12.50``) and read other scripts' digits (``๑๒.๕๐``) as ASCII; the text
    keeps its length so positions stay valid."""
    text = mend_dollar(text.translate(_UNICODE_DIGITS))
    text = _COLON_DECIMAL.sub(lambda m: m.group(0).replace(":", "."), text)
    return _NUMERIC_TOKEN.sub(_digits_if_numeric, text)


def mend_dollar(text: str) -> str:
    """``text`` with a ``$`` that OCR read as ``S`` before an amount put back (``S12.50`` → ``$12.50``,
    ``TOTAL S 8.99``); same length."""
    return _DOLLAR_AS_S.sub("$", text) if "S" in text else text


def _digits_if_numeric(m: re.Match[str]) -> str:
    token = m.group(0)
    first = next((i for i, c in enumerate(token) if c.isdigit()), None)
    if first is None:
        return token
    if first >= 2 and not any(c in ".," for c in token[:first]):
        # two or more letters before the whole number are a word or a code ("USD12.50"), not misread
        # digits (as in "lO.5O")
        return token[:first] + token[first:].translate(DIGITISH)
    return token.translate(DIGITISH)


# Thousands separators: comma, dot, apostrophes, and the spaces (plain, no-break, thin)
_SPACES = "\u00a0\u202f\u2009"
_NUMBERS: dict[tuple[str, int], str] = {
    # decimal point: 1,234.50 | 1'234.50 | 1 234.50 (no-break spaces only) | 12.50 | .50 | 12,50 ending a row
    (".", 2): rf"\d{{1,3}}(?:[,'’{_SPACES}]\d{{3}})+\.\d{{2}}|\d+\.\d{{2}}|(?<![^\s\-$])\.\d{{2}}"
    r"|\d+,\d{2}(?=\s*$)|\d+\.-{1,2}(?!\d)",
    # decimal comma: 1.234,50 | 1 234,50 | 1'234,50 | 12,50 | 12,- ; a dot before two final digits is
    # an OCR'd comma (a thousands dot has three digits after it)
    (",", 2): rf"\d{{1,3}}(?:[.'’ {_SPACES}]\d{{3}})+,\d{{2}}|\d+,\d{{2}}|\d+,-{{1,2}}(?!\d)|\d+\.\d{{2}}",
    # no minor unit (¥1,280 / Rp 12.500): grouped whole numbers; plain ones only beside a currency
    (".", 0): rf"\d{{1,3}}(?:[,'’{_SPACES}]\d{{3}})+(?![.,]\d)|\d+",
    (",", 0): rf"\d{{1,3}}(?:[.'’ {_SPACES}]\d{{3}})+(?![.,]\d)|\d+",
}


@lru_cache(maxsize=8)
def _number_re(convention: Convention) -> re.Pattern[str]:
    number = _NUMBERS[(convention.decimal, 0 if convention.minor == 0 else 2)]
    # after a dot only where an abbreviated currency ends with it ("Rs.120.00"; ``_BEFORE`` checks)
    return re.compile(rf"(?:(?<![\d.,])|(?<=[A-Z]\.))(?P<num>{number})(?![\d%])(?![.,]\d)(?!\s?%)")


# what may stand before and after a number: a sign, a currency, brackets ("-RM 5.00", "(12.00)",
# "12,50 zł", "1,50-")
# scripts written without spaces (Thai, kana, CJK, and Hangul labels glued to amounts): a letter of
# theirs may touch an amount (``合计446.00``, ``รวม120.00``); a Latin or Cyrillic one may not (``SKU12.50``)
_UNSPACED = (
    "\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
_BEFORE = re.compile(
    rf"(?<![.,])(?<!(?![{_UNSPACED}])\w)(?P<open>\()?(?P<neg>-)?\s?(?P<cur>{_CUR})?\s?(?P<neg2>-)?\s?$"
)
_AFTER = re.compile(rf"(?:\s?(?P<cur>{_CUR}))?(?P<neg>-(?!\d))?(?P<close>\))?")


def _value(num: str, convention: Convention) -> Decimal | None:
    """The number of a matched token: the last separator before two final digits is the decimal one."""
    s = num.strip()
    if s.endswith("-"):
        s = s.rstrip("-").rstrip(".,")
    s = s.lstrip()
    if convention.minor == 0 and not re.search(r"[.,]\d{2}$", s):
        digits = re.sub(r"\D", "", s)
        return Decimal(digits) if digits else None
    m = re.fullmatch(r"(?P<int>.*?)(?:[.,](?P<frac>\d{2}))?", s)
    if m is None:
        return None
    whole = re.sub(r"\D", "", m.group("int")) or "0"
    try:
        return Decimal(f"{whole}.{m.group('frac') or '00'}")
    except InvalidOperation:
        return None


def find_amounts(text: str, convention: Convention = DOT) -> list[Amount]:
    """Every money amount in ``text``, left to right (OCR digit confusions repaired first), read in
    the receipt's ``convention`` (see ``infer_convention``)."""
    return list(_amounts(text, convention))


@lru_cache(maxsize=4096)
def _amounts(text: str, convention: Convention) -> tuple[Amount, ...]:
    fixed = fix_digits(text)
    folded = fold(fixed)
    found: list[Amount] = []
    for m in _number_re(convention).finditer(folded):
        value = _value(m.group("num"), convention)
        before = _BEFORE.search(folded, max(0, m.start() - 12), m.start())
        after = _AFTER.match(folded, m.end())
        if before is None or value is None:
            continue  # inside a code or word ("L2.03", "SKU12.50")
        assert after is not None  # it matches the empty string
        cur = before.group("cur") or after.group("cur")
        if m.group("num").isdigit() and not cur:
            continue  # a plain whole number is money only beside a currency
        start, end = before.start(), after.end()
        if before.group("open") and not after.group("close"):
            start += 1  # a bracket before the amount only, not around it
        elif before.group("open"):
            value = -value
        elif after.group("close"):
            end -= 1
        if before.group("neg") or before.group("neg2") or after.group("neg"):
            value = -value
        found.append(
            Amount(
                value=value,
                text=text[start:end].strip(),
                start=start,
                end=end,
                currency=_FOLDED_SYMBOLS.get(cur) if cur else None,
            )
        )
    return tuple(found)


# "TOTAL RM 15 15", "CASH 20 00 CHANGE 8 13", "TOTAL 28-90", "TOTAL 15:00": the decimal separator lost
# or misread by OCR (a colon on faded prints), the cents still set apart after a label, before the row's
# end or the next label
_SPACED_DECIMAL = re.compile(
    rf"(?<=[A-Za-z:)\s])\s(?P<cur>{_CUR})?\s?(?P<int>\d{{1,5}})[ \-:](?P<cents>\d{{2}})"
    r"(?=\s*$|\s+[^\W\d_]{2})"
)


def find_spaced_amounts(text: str) -> list[Amount]:
    """The amounts of a labelled row whose decimal separator OCR dropped or misread (``TOTAL RM 15 15``,
    ``CASH 20 00 CHANGE 8 13``, ``TOTAL 28-90``), each after words of its own."""
    folded = fold(text)
    found: list[Amount] = []
    prev_end = 0
    for m in _SPACED_DECIMAL.finditer(folded):
        if re.search(r"[A-Za-z]{2}", text[prev_end : m.start()]):
            cur = m.group("cur")
            found.append(
                Amount(
                    value=Decimal(f"{m.group('int')}.{m.group('cents')}"),
                    text=text[m.start() : m.end()].strip(),
                    start=m.start() + 1,
                    end=m.end(),
                    currency=_FOLDED_SYMBOLS.get(cur) if cur else None,
                )
            )
        prev_end = m.end()
    return found


# Evidence for the decimal separator: a number with two digits after its last separator, not part of
# a date, time or longer code; thousands groups before a decimal part are the strongest evidence
_DOT_DECIMAL = re.compile(r"(?<![\d.,:/])\d+\.\d{2}(?![\d.,:/]|\.\d)")
_COMMA_DECIMAL = re.compile(r"(?<![\d.,:/])\d+,(?:\d{2}|-{1,2})(?![\d.,:/]|,\d)")
_DOT_GROUPED = re.compile(r"\d,\d{3}\.\d{2}(?!\d)")
_COMMA_GROUPED = re.compile(r"\d\.\d{3},\d{2}(?!\d)")
# dates and the time printed after them ("12.03.2019 14.30") are not evidence
_DATE_TIME = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}(?:\s+\d{1,2}[.:]\d{2}(?:[.:]\d{2})?)?")
_GROUPED_WHOLE = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,]\d{3})+(?![\d.,])")


def infer_convention(texts: list[str], currency: str | None = None) -> Convention:
    """A receipt's amount convention from every number printed on it: the decimal separator most of its
    two-decimal numbers use (grouped amounts such as ``1.129,00`` count triple), the currency's custom
    on a tie; no minor unit when no number has two decimals and the currency has none (``¥1,280``)."""
    joined = _DATE_TIME.sub(" ", fix_digits("\n".join(texts)))
    dots = len(_DOT_DECIMAL.findall(joined)) + 3 * len(_DOT_GROUPED.findall(joined))
    commas = len(_COMMA_DECIMAL.findall(joined)) + 3 * len(_COMMA_GROUPED.findall(joined))
    minor, usual = CURRENCIES.get(currency or "", (2, "."))
    if dots == commas == 0 and minor == 0 and _GROUPED_WHOLE.search(joined):
        sep = _GROUPED_WHOLE.search(joined)
        return Convention("," if sep and "." in sep.group(0) else ".", 0)
    if commas > dots or (commas == dots and commas > 0 and usual == ","):
        return COMMA
    if dots == commas == 0 and usual == ",":
        return COMMA
    return DOT


def _currency_votes(texts: list[str]) -> tuple[dict[str, float], dict[str, str]]:
    votes: dict[str, float] = {}
    printed: dict[str, str] = {}
    for text in map(mend_dollar, texts):
        folded = fold(text)
        for m in _currency_tokens(folded):
            token = m.group(0)
            before, after = folded[: m.start()].rstrip(), folded[m.end() :].lstrip()
            beside = bool(before and before[-1].isdigit()) or bool(after and after[0].isdigit())
            if token in _WEAK and not beside:
                continue
            shown = text[m.start() : m.end()]
            if _ISO_CODE.fullmatch(token) and token in _ISO_CODES and not shown.isupper():
                continue
            code = _FOLDED_SYMBOLS[token]
            votes[code] = votes.get(code, 0.0) + (1.0 if beside or len(token) >= 3 else 0.5)
            printed.setdefault(code, shown)
    if "USD" in votes and len(votes.keys() & _DOLLARS) > 1:
        # "$" counted as USD on a receipt that names its dollar (S$, SGD, AUD …)
        other = max(votes.keys() & _DOLLARS - {"USD"}, key=lambda c: votes[c])
        votes[other] += votes.pop("USD")
    return votes, printed


def detect_currency(texts: list[str]) -> tuple[str | None, str | None, float]:
    """The receipt's currency from symbols and codes anywhere in its text: (ISO code, printed, confidence)."""
    votes, printed = _currency_votes(texts)
    if not votes:
        return None, None, 0.0
    code = max(votes, key=lambda c: votes[c])
    share = votes[code] / sum(votes.values())
    return code, printed[code], min(0.5 + 0.1 * votes[code], 0.95) * share


def has_currency(text: str) -> bool:
    """True when ``text`` names a currency (symbol, code or local abbreviation)."""
    return bool(_currency_tokens(fold(text)))


def currency_of(text: str | None) -> str | None:
    """ISO 4217 code named or symbolised in ``text`` (``$`` alone is read as USD)."""
    if not text:
        return None
    return detect_currency([text])[0]


# a number and what may group it; trailing separators are cut after the match (no backtracking)
_FIRST_NUMBER = re.compile(r"\d[\d,.'’ \u00a0\u202f\u2009]*")


def parse_amount(text: str | None, convention: Convention | None = None) -> Decimal | None:
    """The amount printed in ``text`` (a field value such as ``"$899.99 S"``, ``"1.350,00 €"``,
    ``"(12.00)"``): symbols, codes and flags ignored; a leading or trailing minus or brackets make it
    negative. Without a ``convention`` the last separator is decimal unless three digits follow a lone
    comma (``1,350``)."""
    if not text:
        return None
    fixed = fix_digits(text)
    match = _FIRST_NUMBER.search(fixed)
    if match is None:
        return None
    token = match.group(0).rstrip(",.'’ \u00a0\u202f\u2009")
    number = re.sub(r"[\s'’\u00a0\u202f\u2009]", "", token)
    digits = _plain_digits(number, convention)
    if digits is None:
        return None
    before, after = fixed[: match.start()], fixed[match.start() + len(token) :]
    negative = "-" in before or after.startswith("-") or ("(" in before and ")" in after)
    amount = Decimal(digits)
    return -amount if negative else amount


def _plain_digits(number: str, convention: Convention | None) -> str | None:
    last_comma, last_dot = number.rfind(","), number.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        decimal_sep = "," if last_comma > last_dot else "."
    elif last_comma < 0 and last_dot < 0:
        return number if number.isdigit() else None
    else:
        sep = "," if last_comma >= 0 else "."
        frac = number.rpartition(sep)[2]
        if convention is not None:
            decimal_sep = sep if sep == convention.decimal and convention.minor else ""
        else:
            # one "." is a decimal point; one "," is decimal unless three digits follow (1,350)
            decimal_sep = sep if number.count(sep) == 1 and (sep == "." or len(frac) != 3) else ""
    if not decimal_sep:
        joined = number.replace(",", "").replace(".", "")
        return joined if joined.isdigit() else None
    whole, _, frac = number.rpartition(decimal_sep)
    whole = whole.replace(",", "").replace(".", "")
    return f"{whole or '0'}.{frac}" if (whole or "0").isdigit() and frac.isdigit() else None
