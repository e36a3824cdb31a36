"""Money amounts and currencies as printed on receipts, OCR digit confusions included."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

CURRENCY_SYMBOLS: dict[str, str] = {
    "RM": "MYR",
    "MYR": "MYR",
    "$": "USD",
    "USD": "USD",
    "US$": "USD",
    "€": "EUR",
    "EUR": "EUR",
    "£": "GBP",
    "GBP": "GBP",
    "S$": "SGD",
    "SGD": "SGD",
}

_CUR = r"(?:US\$|S\$|RM|MYR|USD|EUR|GBP|SGD|\$|€|£)"
# An amount: optional sign and currency, digits with optional thousands separators, two decimals,
# optional trailing currency and tax flag. The European style (1.234,50) is a separate pattern.
_AMOUNT = (
    rf"(?<![\w.,])(?P<neg>-)?\s?(?P<cur>{_CUR})?\s?(?P<neg2>-)?\s?(?P<num>{{num}})"
    rf"(?![\d%])(?!\s?%)(?:\s?(?P<cur2>{_CUR}))?(?P<neg3>-)?"
)
AMOUNT_RE = re.compile(
    _AMOUNT.format(num=r"\d{1,3}(?:,\d{3})+\.\d{2}|\d+\.\d{2}|(?<![^\s\-$])\.\d{2}|\d+,\d{2}(?=\s*$)")
)
AMOUNT_COMMA_RE = re.compile(_AMOUNT.format(num=r"\d{1,3}(?:\.\d{3})+,\d{2}|\d+,\d{2}"))
# letters OCR reads for digits, inside tokens that are clearly numbers
DIGITISH = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "Q": "0", "U": "0", "l": "1", "I": "1", "|": "1", "S": "5", "B": "8"}
)
_COLON_DECIMAL = re.compile(r"(?:RM|\$|€)\s?\d+:\d{2}(?!\d|:)")
# a number token, also glued to a currency prefix ("RM7.7O")
_NUMERIC_TOKEN = re.compile(r"(?:(?<=RM)|(?<![A-Za-z]))[\dOoDQUlI|SB]+[.,][\dOoDQUlI|SB]{2}(?![A-Za-z]{2})")


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
    ``RM5.00``); the text keeps its length so positions stay valid."""
    text = _COLON_DECIMAL.sub(lambda m: m.group(0).replace(":", "."), text)
    return _NUMERIC_TOKEN.sub(_digits_if_numeric, text)


def _digits_if_numeric(m: re.Match[str]) -> str:
    token = m.group(0)
    return token.translate(DIGITISH) if any(c.isdigit() for c in token) else token


def uses_comma_decimal(texts: list[str], currency: str | None) -> bool:
    """True when the receipt writes decimals with a comma (``12,50``): euro, or mostly comma amounts."""
    joined = "\n".join(texts)
    commas = len(re.findall(r"\d,\d{2}(?![\d,])", joined))
    dots = len(re.findall(r"\d\.\d{2}(?![\d.])", joined))
    return commas > dots or (currency == "EUR" and commas > 0 and commas == dots)


def parse_number(num: str) -> Decimal | None:
    """``1,234.50`` / ``1.234,50`` / ``12,50`` → Decimal; None when it is not a number."""
    s = num.strip()
    if s.startswith("."):
        s = "0" + s
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+,\d{2}", s) or re.fullmatch(r"\d+,\d{2}", s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def find_amounts(text: str, *, comma_decimal: bool = False) -> list[Amount]:
    """Every money amount in ``text``, left to right (digit confusions repaired first). ``comma_decimal``
    reads ``12,50`` as 12.50 (European receipts); otherwise only ``12.50`` style amounts count."""
    fixed = fix_digits(text)
    found: list[Amount] = []
    for m in (AMOUNT_COMMA_RE if comma_decimal else AMOUNT_RE).finditer(fixed):
        value = parse_number(m.group("num"))
        if value is None:
            continue
        if m.group("neg") or m.group("neg2") or m.group("neg3"):
            value = -value
        cur = m.group("cur") or m.group("cur2")
        found.append(
            Amount(
                value=value,
                text=text[m.start() : m.end()].strip(),
                start=m.start(),
                end=m.end(),
                currency=CURRENCY_SYMBOLS.get(cur) if cur else None,
            )
        )
    return found


_CURRENCY_WORD = re.compile(r"(?<![A-Z])(RM|MYR|USD|EUR|GBP|SGD)(?![A-Z])|(\$|€|£)")


def detect_currency(texts: list[str]) -> tuple[str | None, str | None, float]:
    """The receipt's currency from symbols and codes anywhere in its text: (ISO code, printed, confidence)."""
    votes: dict[str, int] = {}
    printed: dict[str, str] = {}
    for text in texts:
        for m in _CURRENCY_WORD.finditer(text.upper()):
            token = m.group(1) or m.group(2)
            code = CURRENCY_SYMBOLS[token]
            votes[code] = votes.get(code, 0) + 1
            printed.setdefault(code, token)
    if not votes:
        return None, None, 0.0
    code = max(votes, key=lambda c: votes[c])
    share = votes[code] / sum(votes.values())
    return code, printed[code], min(0.5 + 0.1 * votes[code], 0.95) * share


# "TOTAL RM 15 15", "TOTAL 28-90", "TOTAL 15:00": the decimal point lost or misread by OCR (a colon on
# faded prints: "CASH 14:08", training 506; on the training text lines with the total's point read as
# a colon: 267 → 416 of 426 right), the cents still set apart at the end of the row
_SPACED_DECIMAL = re.compile(
    rf"(?<=[A-Za-z:)\s])\s(?P<cur>{_CUR})?\s?(?P<int>\d{{1,5}})[ \-:](?P<cents>\d{{2}})\s*$"
)


def find_spaced_amount(text: str) -> Amount | None:
    """The amount ending a labelled row whose decimal point OCR dropped or misread (``TOTAL RM 15 15``,
    ``TOTAL 28-90``), or None."""
    m = _SPACED_DECIMAL.search(text)
    if m is None or not re.search(r"[A-Za-z]{2}", text[: m.start()]):
        return None
    cur = m.group("cur")
    return Amount(
        value=Decimal(f"{m.group('int')}.{m.group('cents')}"),
        text=text[m.start() : m.end()].strip(),
        start=m.start() + 1,
        end=m.end(),
        currency=CURRENCY_SYMBOLS.get(cur) if cur else None,
    )
