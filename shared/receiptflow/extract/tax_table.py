"""Tax summary tables at the foot of a receipt, in any language: ``Steuer % Netto Steuer Brutto``,
``DPH Základ Daň``, ``IVA BASE IMPONIBLE CUOTA``, ``BTW OVER EXCL INCL``, ``GST Summary Amount Tax``.

A table is found by its head (a row of column words and no amount) over rows of two or more amounts.
Its rows are read by arithmetic, not by the column words: of three amounts, the one the other two add
up to is the gross and the smaller addend the tax; of two, the rate printed on the row tells net or
gross from tax. The head labels no amount under it (``Základ`` over ``A 21% 27,19 5,71`` is no
subtotal of 5.71), and the table's tax is the receipt's tax when no tax line is printed."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from receiptflow.extract import cue_table
from receiptflow.extract.layout import Row
from receiptflow.money import DOT, Amount, Convention, find_amounts

# the column words of a table head; a summary role beyond them makes the row a label instead, unless
# the row names itself a table head (``MWST Satz Betrag``, ``VAT RATE NET VAT``)
_COLUMNS = frozenset({"net", "tax", "gross", "incl", "amount"})
_NOT_HEAD = frozenset({"total", "due", "subtotal", "paid", "cash", "card", "change", "tendered", "tip"})
_RATE = re.compile(r"(?<![\d.,])(\d{1,2}(?:[.,]\d{1,3})?)\s?%")
_MAX_BODY = 8
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class TaxTable:
    """A tax summary table: the indexes of its rows (head and body) and the tax it sums to."""

    rows: frozenset[int]
    tax: Amount | None
    tax_row: Row | None


def find_tax_tables(rows: Sequence[Row], *, convention: Convention = DOT) -> list[TaxTable]:
    """Every tax summary table, top to bottom."""
    tables: list[TaxTable] = []
    i = 0
    while i < len(rows):
        head = rows[i]
        body = _body(rows, i + 1, convention) if _is_head(head.text, convention) else []
        if not body:
            i += 1
            continue
        head_roles = cue_table.roles(head.text)
        tax, tax_row = _table_tax(body, head_roles, convention)
        tables.append(TaxTable(frozenset(range(i, i + 1 + len(body))), tax, tax_row))
        i += 1 + len(body)
    return tables


def _is_head(text: str, convention: Convention) -> bool:
    if find_amounts(text, convention):
        return False
    r = cue_table.roles(text)
    return "table" in r or (not r & _NOT_HEAD and len(r & _COLUMNS) >= 2)


def _money(row: Row, convention: Convention) -> list[Amount]:
    return find_amounts(row.text, convention)


def _body(rows: Sequence[Row], start: int, convention: Convention) -> list[Row]:
    body: list[Row] = []
    for row in rows[start : start + _MAX_BODY]:
        if len(_money(row, convention)) < 2:
            break
        body.append(row)
    return body


def row_tax(row: Row, head_roles: frozenset[str], convention: Convention = DOT) -> Amount | None:
    """The tax amount of one table row, or None when its amounts do not tell which one it is."""
    amounts = _money(row, convention)
    if len(amounts) >= 3:
        a, b, c = amounts[-3:]
        for gross, x, y in ((c, a, b), (a, b, c)):
            if abs(x.value + y.value - gross.value) <= _CENT and gross.value > 0:
                return x if x.value <= y.value else y
        return None
    base, tax = amounts[-2], amounts[-1]
    rate_match = _RATE.search(row.text)
    if rate_match is not None:
        rate = Decimal(rate_match.group(1).replace(",", "."))
        for first, second in ((base, tax), (tax, base)):
            net_tax = first.value * rate / 100
            gross_tax = first.value * rate / (100 + rate)
            slack = max(Decimal("0.02"), second.value * Decimal("0.02"))
            if abs(net_tax - second.value) <= slack or abs(gross_tax - second.value) <= slack:
                return second
        return None
    if "tax" in head_roles and head_roles & {"net", "amount"} and not head_roles & {"gross", "incl"}:
        return tax if tax.value <= base.value else base
    return None


def _table_tax(
    body: Sequence[Row], head_roles: frozenset[str], convention: Convention
) -> tuple[Amount | None, Row | None]:
    """The table's tax: its printed total row's, else the sum of its rate rows' (None when a row is
    unreadable)."""
    totals = [row for row in body if cue_table.roles(row.text) & {"total", "due"}]
    if totals:
        found = row_tax(totals[-1], head_roles, convention)
        if found is not None:
            return found, totals[-1]
    taxes = [row_tax(row, head_roles, convention) for row in body if row not in totals]
    if not taxes or any(t is None for t in taxes):
        return None, None
    last = taxes[-1]
    assert last is not None
    value = sum((t.value for t in taxes if t is not None), Decimal(0))
    if len(taxes) == 1:
        return last, body[-1]
    return Amount(value=value, text="", start=last.start, end=last.end, currency=last.currency), body[-1]
