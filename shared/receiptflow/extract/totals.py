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

from receiptflow.extract import cue_table
from receiptflow.extract.layout import Row
from receiptflow.extract.tax_table import TaxTable, find_tax_tables, row_tax
from receiptflow.extract.total_ranker import Candidate, candidates, model, ranked
from receiptflow.money import DOT, Amount, Convention, find_amounts, find_spaced_amounts, has_currency

_INCLUDED = re.compile(r"\bINC", re.I)
# a whole number ending a row: an amount whose decimal point OCR lost, when the arithmetic agrees
_POINTLESS = re.compile(r"(?<![\d.,:/\-])(\d{3,6})\s*$")
_CENT = Decimal("0.01")
# rounding to 5 cents (Malaysia, Australia), 10, or half a rupee (India): an adjustment never exceeds it
_MAX_ROUNDING = Decimal("0.50")
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


_LETTERS = re.compile(r"[^\W\d_]{2}")


def classify(label_text: str) -> tuple[str, float] | None:
    """Summary role (and cue strength 0..1.3) of the words before an amount, from the cue table
    (``cue_table``); None when they are not a summary label."""
    if not _LETTERS.search(label_text):
        return None
    r = cue_table.roles(label_text)
    if not r:
        return None
    if "ignore" in r:
        return "ignore", 0.0
    if r & {"subtotal", "net"}:
        return "subtotal", 0.9
    if "tendered" in r and "change" not in r:
        return "paid", 0.8
    if "charge" in r:
        return "charge", 0.9
    has_total = bool(r & {"total", "due"})
    if "included" in r and "tax" in r:
        return "tax", 0.8
    if (has_total or r & {"amount", "paid"}) and "incl" in r:
        return "total", 1.0
    if "rounding" in r:
        return ("total", 1.0) if has_total and "rounded" in r else ("rounding", 0.9)
    if "tip" in r:
        return "tip", 0.9
    if has_total and "tax" in r:
        return "tax", 0.9
    if "discount" in r:
        return "discount", 0.8
    if "change" in r and "balance_due" not in r:
        return "change", 0.9
    if has_total:
        if "due" in r:
            return "total", 1.3
        return "total", 1.0 if r & {"strong", "gross"} or has_currency(label_text) else 0.8
    if "tax" in r:
        return "tax", 0.8
    if r & {"cash", "card", "paid"}:
        return "paid", 0.8
    if "amount" in r:
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


def _column_pairs(row: Row, nxt: Row, convention: Convention) -> list[Labelled]:
    """Labels side by side over their amounts (``CASH | CHANGE`` over ``$44.00 | $1.05``, as curled
    photos and some tills print them): each label with the amount in its place on the next row, when
    every segment of the row is a summary label and the next row holds as many amounts and no words."""
    labels = [classify(seg.text) for seg in row.segments if seg.text.strip()]
    if len(labels) < 2 or not all(labels):
        return []
    amounts = find_amounts(nxt.text, convention)
    rest = nxt.text
    for a in reversed(amounts):
        rest = rest[: a.start] + rest[a.end :]
    if len(amounts) != len(labels) or _LETTERS.search(rest):
        return []
    return [
        Labelled(lab[0], lab[1], a, nxt) for lab, a in zip(labels, amounts, strict=True) if lab is not None
    ]


def _with_spaced(amounts: list[Amount], text: str) -> list[Amount]:
    """``amounts`` and, between them, those whose decimal separator OCR lost (``CASH 20 00 CHANGE
    8.13``), left to right."""
    spaced = [
        s for s in find_spaced_amounts(text) if not any(s.start < a.end and a.start < s.end for a in amounts)
    ]
    return sorted([*amounts, *spaced], key=lambda a: a.start) if spaced else amounts


# a row of this many digits and no amount is an identifier (``VAT No: GB 220 4302 31``, ``P.IVA
# 03503411203``, ``GST REG NO: 001234567890``), not the label of the amount under it
_ID_DIGITS = 6
_DIGIT = re.compile(r"\d")


def labelled_amounts(
    rows: Sequence[Row], *, convention: Convention = DOT, tables: Sequence[TaxTable] = ()
) -> list[Labelled]:
    """Every labelled amount, top to bottom (the rows of the tax summary ``tables`` skipped)."""
    out: list[Labelled] = []
    in_tables = {i for table in tables for i in table.rows}
    for i, row in enumerate(rows):
        text = row.text
        if i in in_tables or "table" in cue_table.roles(text):
            continue
        amounts = _with_spaced(find_amounts(text, convention), text)
        if not amounts:
            paired = _column_pairs(row, rows[i + 1], convention) if i + 1 < len(rows) else []
            if paired:
                out.extend(paired)
                continue
            found = classify(text) if len(_DIGIT.findall(text)) < _ID_DIGITS else None
            if found is not None and i + 1 < len(rows):
                nxt = rows[i + 1]
                nxt_amounts = find_amounts(nxt.text, convention)
                if nxt_amounts and classify(nxt.text[: nxt_amounts[0].start]) is None:
                    # a row holding the amount alone is the label's own value (printed under it);
                    # an amount among other words is less surely so
                    alone = len(nxt_amounts) == 1 and nxt.text.strip() == nxt_amounts[0].text
                    out.append(Labelled(found[0], found[1] * (1.0 if alone else 0.8), nxt_amounts[-1], nxt))
            continue
        prev_end = 0
        row_label: tuple[str, float] | None = None
        own: list[tuple[str, float] | None] = []
        for a in amounts:
            own.append(_label_for(row, a, prev_end))
            prev_end = a.end
        for i, a in enumerate(amounts):
            found = own[i] or row_label
            if found is not None and found[0] == "total" and i < len(amounts) - 1 and not any(own[i + 1 :]):
                # a TOTAL row of a table ("TOTAL 38,87 5,63 44,50": net, tax, gross): the total is
                # its last column, not the amounts before it
                row_label = found
                continue
            if found is not None:
                out.append(Labelled(found[0], found[1], a, row))
                row_label = found
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
    total_score: float = 0.0
    total_margin: float = 0.0
    total_by_rules: bool = True
    candidates: tuple[Candidate, ...] = ()


def choose_totals(rows: Sequence[Row], *, convention: Convention = DOT) -> Totals:
    """Pick one amount per summary role; the total is cross-checked against subtotal/tax and paid/change."""
    tables = find_tax_tables(rows, convention=convention)
    found = labelled_amounts(rows, convention=convention, tables=tables)

    def best(name: str) -> Labelled | None:
        cands = [f for f in found if f.label == name]
        return max(cands, key=lambda f: (f.strength, f.row.index)) if cands else None

    # a "rounding" line carrying more than any adjustment could is the rounded total itself
    found = [
        Labelled("total", 0.9, f.amount, f.row)
        if f.label == "rounding" and f.amount.value > _MAX_ROUNDING
        else f
        for f in found
    ]
    roles = {
        name: best(name)
        for name in ("subtotal", "tax", "tip", "charge", "discount", "rounding", "paid", "change")
    }
    roles["tax"] = _tax(found, roles, tables, convention)
    if roles["paid"] is None and roles["change"] is not None:
        roles["paid"] = _tendered_above(rows, roles["change"], convention)
    totals = [f for f in found if f.label == "total" and f.amount.value > 0]
    totals += _pointless_totals(rows, roles, convention)
    totals += _unlabelled_sums(rows, found, totals, roles, convention)
    total, certainty = _pick_total(totals, roles)
    if total is not None:
        total = _settled(total, roles)
    else:
        total = _implied(rows, roles)
    amounts = _all_amounts(rows, found, convention)
    cands = candidates(rows, amounts, found, roles, total, certainty)
    score, margin, by_rules = 0.0, 0.0, True
    ranker = model()
    if ranker is not None and cands:
        ranking = ranked(cands, ranker)
        score, top = ranking[0]
        margin = score - ranking[1][0] if len(ranking) > 1 else score
        if total is None or top.value != total.amount.value:
            chosen = top.best
            total = Labelled("total", chosen.strength, chosen.amount, chosen.row)
            by_rules = False
    settled = _settled_by_cash(cands, total) if roles["discount"] is None else None
    if settled is not None:
        total, by_rules = settled, False
    tipped = _tipped(totals, roles)
    if tipped is not None and (total is None or total.row.index < tipped.row.index):
        total, by_rules = tipped, True
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
        total_score=score,
        total_margin=margin,
        total_by_rules=by_rules,
        candidates=tuple(cands),
    )


# cash − change is the total wherever it is printed; a chosen total further from it than rounding
# can explain (a VAT table's gross, a points balance, ``Gesamt Brutto`` of another column) yields.
# Not with a discount on the receipt: the SROIE labels give the amount before a coupon (Domino's:
# ``Sub-Total 25.60``, ``Coupon Discount 21.70``, cash 5.00 − change 1.10 = 3.90 is labelled 25.60).
_ROUNDING_GAP = Decimal("0.10")
_ARITHMETIC = ("cue_total", "chain", "row_sum", "items_sum", "col_sum", "adds_up", "repeat")


def _settled_by_cash(cands: Sequence[Candidate], total: Labelled | None) -> Labelled | None:
    """The amount that cash tendered less change gives, when it is printed with evidence of its own
    (a total cue, items or net + tax adding up to it, printed twice) and the chosen total is not it."""
    match = [c for c in cands if c.features.get("paid_change") and not c.features.get("cue_paid")]
    if len(match) != 1 or not any(match[0].features.get(f) for f in _ARITHMETIC):
        return None
    chosen = match[0]
    if total is not None and abs(total.amount.value - chosen.value) <= _ROUNDING_GAP:
        return None
    best = chosen.best
    return Labelled("total", best.strength, best.amount, best.row)


_RATE = re.compile(r"\d\s?%")


def _tax(
    found: Sequence[Labelled],
    roles: dict[str, Labelled | None],
    tables: Sequence[TaxTable],
    convention: Convention,
) -> Labelled | None:
    """The receipt's tax: a total-tax line (``TOTAL TAX``, ``Suma PTU``), else the sum of the tax lines
    of different kinds or rates (``CGST 2.5%`` + ``SGST 2.5%``, ``TVA 5,5%`` + ``TVA 20%``) when the
    subtotal adds up with it or every one prints its rate, else the one tax line, else what a tax
    summary table sums to."""
    lines = [f for f in found if f.label == "tax"]
    if any(f.strength > 0.8 for f in lines):
        return roles["tax"]
    parts: dict[str, Labelled] = {}
    for f in _per_row(lines, convention):  # one per label: the same tax printed twice is one tax
        label = f.row.text[: f.amount.start].strip().upper()
        parts.setdefault(label, f)
    single = roles["tax"]
    if single is not None:
        single = _per_row([single], convention)[0]
    if len(parts) >= 2 and single is not None:
        total = sum((f.amount.value for f in parts.values()), Decimal(0))
        last = max(parts.values(), key=lambda f: f.row.index)
        summed = Labelled("tax", single.strength, _computed(total, last.amount), last.row)
        stated = [f.amount.value for f in found if f.label == "total"]
        if roles["subtotal"] is not None and stated:
            if any(_adds_up(v, {**roles, "tax": summed}) for v in stated):
                return summed
        elif all(_RATE.search(f.row.text) for f in parts.values()):
            return summed
    if single is not None:
        return single
    table = next((t for t in reversed(tables) if t.tax is not None and t.tax_row is not None), None)
    if table is None or table.tax is None or table.tax_row is None:
        return None
    return Labelled("tax", 0.7, table.tax, table.tax_row)


def _per_row(lines: Sequence[Labelled], convention: Convention) -> list[Labelled]:
    """One tax per row: on a row of base and tax (``IVA 10% 22,55 2,25``) the amount its rate gives."""
    out: dict[int, Labelled] = {}
    for f in lines:
        if f.row.index in out:
            continue
        several = len(find_amounts(f.row.text, convention)) >= 2
        tax = row_tax(f.row, frozenset({"tax", "net"}), convention) if several else None
        out[f.row.index] = replace(f, amount=tax) if tax is not None else f
    return list(out.values())


def _tipped(totals: Sequence[Labelled], roles: dict[str, Labelled | None]) -> Labelled | None:
    """The total under a tip line that is a total above it plus the tip (``Amount Due 38.67``, ``Tip
    7.00``, ``Total 45.67``): what was charged, not what was due before the tip."""
    tip = roles["tip"]
    if tip is None or tip.amount.value <= 0:
        return None
    above = [c.amount.value for c in totals if c.row.index < tip.row.index]
    return next(
        (
            c
            for c in totals
            if c.row.index > tip.row.index
            and any(abs(a + tip.amount.value - c.amount.value) <= _CENT for a in above)
        ),
        None,
    )


def _all_amounts(
    rows: Sequence[Row], found: Sequence[Labelled], convention: Convention
) -> list[list[Amount]]:
    """Every amount of every row: those ``find_amounts`` reads and the labelled ones read otherwise
    (a lost decimal point)."""
    out = [find_amounts(row.text, convention) for row in rows]
    for f in found:
        row = out[f.row.index]
        if all(a.start != f.amount.start for a in row):
            row.append(f.amount)
            row.sort(key=lambda a: a.start)
    return out


def _implied(rows: Sequence[Row], roles: dict[str, Labelled | None]) -> Labelled | None:
    """No TOTAL line read: what was paid less the change when it covers the subtotal, else the subtotal
    plus its tax (and the rounding) when both are printed (and the tax is not included), else the
    subtotal, else what was paid."""
    sub, tax, paid, change = roles["subtotal"], roles["tax"], roles["paid"], roles["change"]
    if paid is not None:
        net = paid.amount.value - _v(change)
        if net > 0 and (sub is None or (change is not None and net >= sub.amount.value)):
            return Labelled("total", 0.4, _computed(net, paid.amount), paid.row)
    if sub is not None and tax is not None and tax.row.index > sub.row.index:
        if not _INCLUDED.search(tax.row.text):
            value = sub.amount.value + tax.amount.value + _v(roles["rounding"])
            return Labelled("total", 0.4, _computed(value, tax.amount), tax.row)
    if sub is not None:
        return Labelled("total", 0.5, sub.amount, sub.row)
    return None


def _computed(value: Decimal, near: Amount) -> Amount:
    """An amount worked out from others (printed nowhere), placed where ``near`` is printed."""
    return Amount(value=value, text="", start=near.start, end=near.end, currency=near.currency)


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


def _tendered_above(rows: Sequence[Row], change: Labelled, convention: Convention) -> Labelled | None:
    """What was handed over when its label (CASH) faded: an amount alone on the row right above the
    change, larger than the change (``100.20`` over ``CHANGE 15.00``, training key 610 faded; on the
    training text lines with the CASH/PAID labels removed, +4 of 426)."""
    if change.row.index == 0:
        return None
    row = rows[change.row.index - 1]
    amounts = find_amounts(row.text, convention)
    if len(amounts) != 1 or amounts[0].text != row.text.strip() or amounts[0].value <= change.amount.value:
        return None
    return Labelled("paid", 0.5, amounts[0], row)


def _pointless_totals(
    rows: Sequence[Row], roles: dict[str, Labelled | None], convention: Convention
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
        if m is None or find_amounts(row.text, convention):
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
    convention: Convention,
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
        for a in find_amounts(row.text, convention)
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
