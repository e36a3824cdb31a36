"""Summary amounts by keyword and position: total vs subtotal vs rounding vs cash/change, tax, tip,
service charge, discount.

Each amount on a row is labelled by the words printed just before it on that row (so
``TOTAL SAVING: 0.00 TOTAL 6.85`` yields a savings amount and a total), or by the row above when the
amount stands alone. Tax-summary tables at the foot of a receipt are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from receiptflow.extract.layout import Row
from receiptflow.extract.numbers import Amount, find_amounts, find_spaced_amount

# "TOTAL" as OCR prints it (lotal, T0TAL, tolal, TOTAI; faded: SUB-TBTAL, SUB-TOIAL, training 505/506;
# TOTA], and OTAL with its first letter lost: 6 rows in the five readings of the training images)
_T = r"(?:[TLI1][O0QDB]|(?<![A-Z])[O0])[TLI1]A[LI1\]]"
_IGNORE = re.compile(
    rf"{_T}\s*(QTY|QUANTITY|ITEMS?|ITEM\s*COUNT|PCS|UNITS?|NO\b|POINTS?|SAVINGS?|WEIGHT|DISC\w*)|\bQTY\b|"
    r"ITEMS?\s*COUNT|NO\.?\s*OF\s*ITEMS?|POINTS|MEMBER|DEPOSIT|YOU\s*SAVED?|SAVING"
)
_SUB = re.compile(
    r"SUB[\s\-]*[TLI1][O0QDB][TLI1]|EXCL|BEFORE\s*(GST|TAX|DISC)|W/?O\s*(GST|TAX)|NET\s*AMOUNT\s*EXCL|ZWISCHENSUMME|"
    rf"SOUS[\s\-]*{_T}|\bNETTO\b|{_T}\s*HT\b"
)
# "Inclusive" as OCR reads it (Indusive, ctusive); EXCLUSIVE is a subtotal, ruled out before
_INCL = re.compile(
    r"[IL1]NCL|I\w?CLUSIVE|IN\w{1,3}SIVE|\w*SIVE\s*(OF\s*)?(GST|TAX)|WITH\s*(GST|TAX)|INC\.?\s*(GST|TAX)|TERMASUK"
)
_TAX_INCLUDED = re.compile(
    r"INCLUDED\s*(GST|TAX|VAT)|(GST|TAX|VAT)\b.*INCLUDED|INCLUDES?\s*(\d+\s*%\s*)?(GST|TAX|VAT)"
)
_TOTAL = re.compile(
    rf"{_T}|JUMLAH|AMOUNT\s*(DUE|PAYABLE)|BALANCE\s*DUE|NETT\b|\bDUE\b|PAYABLE|SUMME|GESAMT|BETRAG|MONTANT|"
    r"A\s*PAYER|IMPORTE|TO\s*BE\s*PAID|\bTO\s*PAY\b"
)
_STRONG_TOTAL = re.compile(
    rf"GRAND|NETT?\s*T|PAYABLE|\bDUE\b|ROUND\w*\s*[TLI1][O0]T|{_T}\s*ROUND|AFTER\s*(ADJ|ROUND)|\(RM\)|\bRM\b|"
    r"INCL|INCLUSIVE|AMOUNT\s*(DUE|PAYABLE)|BALANCE\s*DUE|JUMLAH|NET\s*AMOUNT|TTC|TO\s*BE\s*PAID"
)
_FINAL_TOTAL = re.compile(
    rf"GRAND|PAYABLE|{_T}\s*PAY|\bDUE\b|NETT|ROUND\w*\s*[TLI1][O0]T|{_T}\s*(ROUND|AFTER)|A\s*PAYER"
)
_ROUNDING = re.compile(r"ROUND|\bADJ")
_ROUNDED_TOTAL = re.compile(rf"{_T}\s*(ROUND|AFTER)|ROUND\w*\s*[TLI1][O0]T")
_TAX = re.compile(
    # also glued to TOTAL by a lost space ("TAXTOTAL: 0.79" under "TOTAL 14.00", training 506 faded)
    rf"\b(GST|TAX)(?={_T})|"
    r"\bGST\b|\bTAX\b|\bVAT\b|\bSST\b|SALES\s*TAX|SERVICE\s*TAX|\bMWST\b|\bUST\b|\bTVA\b|\bIVA\b|\bBTW\b"
)
_DISCOUNT = re.compile(r"DISC(OUNT)?\b|VOUCHER|COUPON|\bLESS\b|PROMO|RABATT|REMISE")
_TIP = re.compile(r"\bTIPS?\b|GRATUITY|TRINKGELD|POURBOIRE|PROPINA")
_CHANGE = re.compile(r"CHANGE|\bBAL(ANCE)?\b|KEMBALI|\bCHG\s*AMT|R[UÜ]CKGELD|RENDU")
_PAID = re.compile(
    r"\bCASH\b|\bTEND|\bPAID\b|PAYMENT|\bVISA\b|MASTER|\bCARD\b|CREDIT|DEBIT|AMEX|EFTPOS|TUNAI|RECEIVED|"
    r"\bBAR\b|GEGEBEN|ESP[EÈ]CES|\bCARTE\b|\bKARTE\b"
)
# what the customer handed over, even on a row that says TOTAL ("ACCEPTED TOTAL 2.00", training 585)
_TENDERED = re.compile(r"\bTEND|ACCEPTED|RECEIVED")
# an amount "inclusive of GST" is the total even without the word TOTAL ("AMT PAID INCL. GST", 397)
_AMOUNT_INCL = re.compile(r"\w*SIVE\s*(OF\s*)?(GST|TAX)|\bAM(OUN)?T\b|\bSALES\b|\bPAID\b")
# a service charge is added to the subtotal like a tax (SERVICE CHARGE 10%, SVC CHG, SVR CHRG: 15
# training receipts)
_CHARGE = re.compile(r"(SERVICE|\bSVC|\bSVR|\bSRV)\.?\s*(CHARGE|CHRG|CHG)|\bS\.?\s?CHARGE")
_TABLE_HEAD = re.compile(
    r"(GST|TAX)\s*(SUMMARY|ANALYSIS|CODE)|SUMMARY\s*(GST|TAX)|TAX\s*(RATE|CODE)|\bCODE\b.*%"
)


# a whole number ending a row: an amount whose decimal point OCR lost, when the arithmetic agrees
_POINTLESS = re.compile(r"(?<![\d.,:/\-])(\d{3,6})\s*$")
_CENT = Decimal("0.01")
_MAX_ROUNDING = Decimal("0.10")
# OCR confidence under which a total row's digits are not trusted against the arithmetic (the three
# readings of the training images: 2 total rows below it, one misread)
_UNSURE_OCR = 0.7


@dataclass(frozen=True)
class Labelled:
    """An amount with the summary role of the words printed before it."""

    label: str
    strength: float
    amount: Amount
    row: Row


def classify(label_text: str) -> tuple[str, float] | None:
    """Summary role (and cue strength 0..1) of the words before an amount; None when not a summary label."""
    t = label_text.upper()
    if not re.search(r"[A-Z]{2}", t):
        return None
    if _IGNORE.search(t):
        return "ignore", 0.0
    if _SUB.search(t):
        return "subtotal", 0.9
    if _TENDERED.search(t) and not _CHANGE.search(t):
        return "paid", 0.8
    if _CHARGE.search(t):
        return "charge", 0.9
    has_total = bool(_TOTAL.search(t))
    if _TAX_INCLUDED.search(t):
        return "tax", 0.8
    if (has_total or _AMOUNT_INCL.search(t)) and _INCL.search(t):
        return "total", 1.0
    if _ROUNDING.search(t):
        return ("total", 1.0) if has_total and _ROUNDED_TOTAL.search(t) else ("rounding", 0.9)
    if _TIP.search(t):
        return "tip", 0.9
    if has_total and _TAX.search(t):
        return "tax", 0.9
    if _DISCOUNT.search(t):
        return "discount", 0.8
    if _CHANGE.search(t) and not re.search(r"BALANCE\s*DUE", t):
        return "change", 0.9
    if has_total:
        if _FINAL_TOTAL.search(t):
            return "total", 1.3
        return "total", 1.0 if _STRONG_TOTAL.search(t) else 0.8
    if _TAX.search(t):
        return "tax", 0.8
    if _PAID.search(t):
        return "paid", 0.8
    if re.search(r"\bAMOUNT\b|\bAMT\b", t):
        return "total", 0.5
    return None


def _label_for(row: Row, amount: Amount, prev_end: int) -> tuple[str, float] | None:
    """The role of the nearest words before ``amount`` on its row: the same OCR segment first, then
    the segments before it, back to the previous amount."""
    text = row.text
    bounds: list[int] = []
    pos = 0
    for seg in row.segments:
        piece = seg.text.strip()
        if not piece:
            continue
        bounds.append(pos)
        pos += len(piece) + 1
    starts = [b for b in bounds if prev_end <= b < amount.start]
    for start in sorted(starts, reverse=True):
        found = classify(text[start : amount.start])
        if found is not None:
            return found
    return classify(text[prev_end : amount.start])


def labelled_amounts(rows: Sequence[Row], *, comma_decimal: bool = False) -> list[Labelled]:
    """Every labelled amount, top to bottom (tax-summary table rows skipped)."""
    out: list[Labelled] = []
    table_rows_left = 0
    for i, row in enumerate(rows):
        text = row.text
        if _TABLE_HEAD.search(text.upper()):
            table_rows_left = 4
            continue
        amounts = find_amounts(text, comma_decimal=comma_decimal)
        spaced = None if amounts or comma_decimal else find_spaced_amount(text)
        if spaced is not None:
            amounts = [spaced]
        if table_rows_left > 0:
            table_rows_left -= 1
            if len(amounts) >= 2:
                continue
        if not amounts:
            found = classify(text)
            if found is not None and i + 1 < len(rows):
                nxt = rows[i + 1]
                nxt_amounts = find_amounts(nxt.text, comma_decimal=comma_decimal)
                if nxt_amounts and classify(nxt.text[: nxt_amounts[0].start]) is None:
                    # a row holding the amount alone is the label's own value (printed under it);
                    # an amount among other words is less surely so
                    alone = len(nxt_amounts) == 1 and nxt.text.strip() == nxt_amounts[0].text
                    out.append(Labelled(found[0], found[1] * (1.0 if alone else 0.8), nxt_amounts[-1], nxt))
            continue
        prev_end = 0
        row_label: tuple[str, float] | None = None
        for a in amounts:
            found = _label_for(row, a, prev_end) or row_label
            if found is not None:
                out.append(Labelled(found[0], found[1], a, row))
                row_label = found
            prev_end = a.end
    return [f for f in out if f.label != "ignore"]


@dataclass(frozen=True)
class Totals:
    """The chosen summary amounts (None when absent) and how sure the total is."""

    total: Labelled | None
    subtotal: Labelled | None
    tax: Labelled | None
    tip: Labelled | None
    discount: Labelled | None
    rounding: Labelled | None
    paid: Labelled | None
    change: Labelled | None
    total_certainty: float
    total_rivals: int = 0
    paid_agrees: bool = False
    sum_agrees: bool = False
    total_largest: bool = False
    total_conflicts: int = 0


def choose_totals(rows: Sequence[Row], *, comma_decimal: bool = False) -> Totals:
    """Pick one amount per summary role; the total is cross-checked against subtotal/tax and paid/change."""
    found = labelled_amounts(rows, comma_decimal=comma_decimal)

    def best(name: str) -> Labelled | None:
        cands = [f for f in found if f.label == name]
        return max(cands, key=lambda f: (f.strength, f.row.index)) if cands else None

    # a "rounding" line carrying more than any adjustment could is the rounded total itself
    found = [
        Labelled("total", 0.9, f.amount, f.row)
        if f.label == "rounding" and abs(f.amount.value) > _MAX_ROUNDING
        else f
        for f in found
    ]
    roles = {
        name: best(name)
        for name in ("subtotal", "tax", "tip", "charge", "discount", "rounding", "paid", "change")
    }
    if roles["paid"] is None and roles["change"] is not None:
        roles["paid"] = _tendered_above(rows, roles["change"], comma_decimal)
    totals = [f for f in found if f.label == "total" and f.amount.value > 0]
    totals += _pointless_totals(rows, roles, comma_decimal)
    totals += _unlabelled_sums(rows, found, totals, roles, comma_decimal)
    total, certainty = _pick_total(totals, roles)
    if total is not None:
        total = _settled(total, roles)
    value = total.amount.value if total is not None else None
    paid, change, sub = roles["paid"], roles["change"], roles["subtotal"]
    return Totals(
        total,
        sub,
        roles["tax"],
        roles["tip"],
        roles["discount"],
        roles["rounding"],
        paid,
        change,
        certainty,
        total_rivals=len({c.amount.value for c in totals} - {value}),
        paid_agrees=value is not None
        and paid is not None
        and abs(paid.amount.value - _v(change) - value) <= _CENT,
        sum_agrees=value is not None and sub is not None and _adds_up(value, roles),
        total_largest=value is not None
        and all(f.amount.value <= value for f in found if f.label not in ("paid", "change")),
        total_conflicts=_conflicts(value, roles),
    )


def _settled(total: Labelled, roles: dict[str, Labelled | None]) -> Labelled:
    """The total the other summary amounts vouch for, when the chosen one agrees with neither of them:
    the subtotal when paid - change equals it (OCR misread ``Net Total 85.20`` as 35.20 under
    ``SubTotal 85.20``, cash 100.20, change 15.00; or a weak ``TAXABLE AMOUNT`` cue was taken), or
    subtotal + tax (…) when OCR was unsure of the total's row (``TOTAL 2-20`` read at 0.53 for 28.90)."""
    paid, change, sub = roles["paid"], roles["change"], roles["subtotal"]
    value = total.amount.value
    settled = paid.amount.value - _v(change) if paid is not None else None
    if sub is None or _adds_up(value, roles) or (settled is not None and abs(settled - value) <= _CENT):
        return total
    if settled is not None and change is not None and abs(sub.amount.value - settled) <= _CENT:
        return Labelled("total", total.strength, sub.amount, sub.row)
    tax = roles["tax"]
    unsure = min((s.confidence for s in total.row.segments), default=1.0) < _UNSURE_OCR
    if unsure and tax is not None and 0 < tax.amount.value < sub.amount.value:
        expected = _expected(roles) + _v(roles["rounding"])
        return Labelled(
            "total", total.strength, replace(total.amount, value=expected, text=str(expected)), total.row
        )
    return total


def _tendered_above(rows: Sequence[Row], change: Labelled, comma_decimal: bool) -> Labelled | None:
    """What was handed over when its label (CASH) faded: an amount alone on the row right above the
    change, larger than the change (``100.20`` over ``CHANGE 15.00``, training key 610 faded; on the
    training text lines with the CASH/PAID labels removed, +4 of 426)."""
    if change.row.index == 0:
        return None
    row = rows[change.row.index - 1]
    amounts = find_amounts(row.text, comma_decimal=comma_decimal)
    if len(amounts) != 1 or amounts[0].text != row.text.strip() or amounts[0].value <= change.amount.value:
        return None
    return Labelled("paid", 0.5, amounts[0], row)


def _pointless_totals(
    rows: Sequence[Row], roles: dict[str, Labelled | None], comma_decimal: bool
) -> list[Labelled]:
    """Totals whose decimal point OCR lost (``TOTAL (RM) : 11245``), taken only when the other summary
    amounts vouch for them: subtotal + tax + service charge - discount (+ rounding), or paid - change
    (on the training text lines with the total's point dropped: 241 → 288 of 426 right)."""
    vouched: list[Decimal] = []
    if roles["subtotal"] is not None:
        vouched += [_expected(roles), _expected(roles) + _v(roles["rounding"])]
    paid, change = roles["paid"], roles["change"]
    if paid is not None and change is not None:
        vouched.append(paid.amount.value - change.amount.value)
    out: list[Labelled] = []
    if not vouched:
        return out
    for row in rows:
        m = _POINTLESS.search(row.text)
        if m is None or find_amounts(row.text, comma_decimal=comma_decimal):
            continue
        label = classify(row.text[: m.start()])
        value = Decimal(m.group(1)) / 100
        if label is not None and label[0] == "total" and any(abs(value - v) <= _CENT for v in vouched):
            out.append(Labelled("total", label[1], Amount(value, m.group(1), m.start(), m.end()), row))
    return out


def _unlabelled_sums(
    rows: Sequence[Row],
    found: list[Labelled],
    totals: list[Labelled],
    roles: dict[str, Labelled | None],
    comma_decimal: bool,
) -> list[Labelled]:
    """Amounts under the subtotal printed without a label OCR could read that subtotal + tax + service
    charge - discount (+ rounding) add up to: the total whose label a faded print lost (``L UIAL
    343.95`` under ``SUB TOTAL 295.00``, ``SERVICE CHARGE 29.50``, ``GST 19.47``, ``ROUNDING ADJ -0.02``,
    training key 040 faded; on the training text lines with the TOTAL labels garbled, +4 net of 426).
    Only when no labelled total gives that sum: where one does, an unlabelled rounded amount is the
    labels' second choice (training 146, 561)."""
    sub = roles["subtotal"]
    expected = _expected(roles)
    if sub is None or expected == sub.amount.value:
        return []  # nothing was added to the subtotal: any copy of it would do
    sums = (expected, expected + _v(roles["rounding"]))
    if any(abs(f.amount.value - e) <= _CENT for f in totals for e in sums):
        return []
    labelled = {(f.row.index, f.amount.start) for f in found}
    return [
        Labelled("total", 0.6, a, row)
        for row in rows[sub.row.index + 1 :]
        for a in find_amounts(row.text, comma_decimal=comma_decimal)
        if (row.index, a.start) not in labelled and any(abs(a.value - e) <= _CENT for e in sums)
    ]


def _adds_up(value: Decimal, roles: dict[str, Labelled | None]) -> bool:
    """True when subtotal + tax + tip + service charge - discount (+ rounding) gives ``value``."""
    sub = roles["subtotal"]
    if sub is None:
        return False
    expected = _expected(roles)
    return any(
        abs(e - value) <= _CENT for e in (expected, expected + _v(roles["rounding"]), sub.amount.value)
    )


def _expected(roles: dict[str, Labelled | None]) -> Decimal:
    """subtotal + tax + tip + service charge - discount (0 without a subtotal)."""
    return (
        _v(roles["subtotal"])
        + _v(roles["tax"])
        + _v(roles["tip"])
        + _v(roles["charge"])
        - abs(_v(roles["discount"]))
    )


def _v(f: Labelled | None) -> Decimal:
    return f.amount.value if f is not None else Decimal(0)


def _support(c: Labelled, roles: dict[str, Labelled | None]) -> float:
    """Cue strength plus agreement with the other summary amounts."""
    v = c.amount.value
    # cents printed alone (".15") are the tail of an amount OCR split, not a total
    s = c.strength - (0.3 if re.match(r"\.\d{2}$", c.amount.text) else 0.0)
    paid, change, rounding = roles["paid"], roles["change"], roles["rounding"]
    if _adds_up(v, roles):
        s += 0.3
    if paid is not None and change is not None and abs(paid.amount.value - change.amount.value - v) <= _CENT:
        s += 0.6
    elif paid is not None and paid.amount.value == v:
        s += 0.3
    if rounding is not None and c.row.index > rounding.row.index:
        s += 0.3
    return s


def _conflicts(value: Decimal | None, roles: dict[str, Labelled | None]) -> int:
    """How many of the two cross-checks are possible and disagree with ``value``: subtotal (+ tax …),
    paid - change."""
    if value is None:
        return 0
    paid, change = roles["paid"], roles["change"]
    sums = roles["subtotal"] is not None and not _adds_up(value, roles)
    pays = (
        paid is not None
        and change is not None
        and abs(paid.amount.value - change.amount.value - value) > _CENT
    )
    return int(sums) + int(pays)


def _pick_total(totals: list[Labelled], roles: dict[str, Labelled | None]) -> tuple[Labelled | None, float]:
    if not totals:
        return None, 0.0
    ranked = sorted(totals, key=lambda c: (_support(c, roles), c.row.index), reverse=True)
    top = ranked[0]
    support = _support(top, roles)
    certainty = min(0.4 + 0.35 * support, 0.99)
    rivals = {c.amount.value for c in totals} - {top.amount.value}
    if rivals and support - max(_support(c, roles) for c in totals if c.amount.value in rivals) < 0.3:
        certainty *= 0.8
    return top, certainty
