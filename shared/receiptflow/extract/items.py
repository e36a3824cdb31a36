"""Line items: rows between the header and the summary that end with an amount."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from receiptflow.extract.layout import Row
from receiptflow.extract.text import clean, letter_share
from receiptflow.models import LineItem
from receiptflow.money import DOT, Convention, find_amounts, fix_digits

_QTY_X = re.compile(r"(?<![\d.])(?P<q>\d+(?:\.\d+)?)\s*(?:X|x|\*|@|PCS?|UNITS?|EA)\s*", re.I)
_LEADING_QTY = re.compile(r"^(?P<q>\d{1,3})\s+(?=[A-Za-z])")
_SKIP = re.compile(
    r"TOTAL|\bSUB|\bGST\b|\bTAX\b|\bVAT\b|\bCASH\b|CHANGE|ROUNDING|TENDER|\bPAID\b|PAYMENT|\bDISC|BALANCE|\bTIPS?\b|"
    r"GRATUITY|\bAMOUNT\b|\bVISA\b|\bCARD\b|SAVING|DEPOSIT|\bQTY\b|\bPRICE\b|SUMME|MWST|\bTVA\b",
    re.I,
)


def find_items(rows: Sequence[Row], start: int, end: int, *, convention: Convention = DOT) -> list[LineItem]:
    """Items from rows ``start``..``end`` (exclusive): a description, an amount at the right, and when
    printed a quantity and unit price. A description printed on the row above its amount is joined."""
    items: list[LineItem] = []
    pending: str | None = None
    for row in rows[start:end]:
        text = clean(row.text)
        amounts = find_amounts(text, convention)
        if _SKIP.search(text):
            pending = None
            continue
        if not amounts:
            pending = text if letter_share(text) > 0.5 else None
            continue
        last = amounts[-1]
        desc = clean(_QTY_X.sub(" ", text[: amounts[0].start]))
        desc = clean(_LEADING_QTY.sub("", desc)).rstrip("$€£ ").strip()
        if letter_share(desc) < 0.4 or len(desc) < 2:
            if pending is None:
                continue
            desc = pending
        qty = _quantity(text[: last.start])
        unit = amounts[-2].value if len(amounts) >= 2 else None
        if qty is None and unit is not None and unit != 0:
            ratio = last.value / unit
            if ratio == ratio.to_integral_value() and 0 < ratio < 1000:
                qty = ratio
        if qty is not None and unit is None and qty != 0:
            unit = (last.value / qty).quantize(Decimal("0.01"))
        if qty is None and unit is None:
            qty, unit = Decimal(1), last.value  # one unit when no quantity is printed
        items.append(
            LineItem(description=desc, quantity=qty, unit_price=unit, amount=last.value, confidence=0.6)
        )
        pending = None
    return items


def _quantity(text: str) -> Decimal | None:
    fixed = fix_digits(text)
    m = _QTY_X.search(fixed) or _LEADING_QTY.search(fixed)
    if m is None:
        return None
    try:
        q = Decimal(m.group("q"))
    except InvalidOperation:
        return None
    return q if 0 < q < 1000 else None
