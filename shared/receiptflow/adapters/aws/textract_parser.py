"""Textract AnalyzeExpense / GetExpenseAnalysis output → our ``Receipt`` (parsed with ``trp.trp2_expense``).

Rules worth knowing:

- **One receipt per ExpenseIndex.** Expense documents on different pages that carry the same receipt/invoice
  number are one receipt continued over pages and are merged (a multi-page invoice that Textract indexed
  twice); otherwise each ExpenseIndex is its own receipt (several receipts in one image).
- **Each field keeps** the printed ``ValueDetection.Text`` as ``text``, the normalised value,
  ``Confidence / 100`` and the value's bounding box (``box``, page-normalised like Textract's).
  Among repeated fields the most confident one that parses wins.
- **Vendor** comes from ``VENDOR_NAME``, else from ``NAME`` in the ``VENDOR`` group.
- **TOTAL** often appears several times with different values. Candidates labelled subtotal/tax are dropped;
  the rest are ranked by, in order: (1) agreeing with subtotal + tax + tip - discount when those are known;
  (2) the label: "total", "grand total", "amount due", "total due", "balance due" first, then any label
  naming a total/amount/due, then the rest; (3) how many TOTAL fields print the same value; (4) non-zero;
  (5) confidence.
- **Dates**: see ``values.parse_date``; numeric dates are month-first unless the receipt's currency is one
  whose countries write the day first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from receiptflow.models import (
    SUMMARY_FIELDS,
    DateField,
    FieldBox,
    LineItem,
    MoneyField,
    Receipt,
    TextField,
)
from receiptflow.providers import values

# Textract summary field type → our field (VENDOR-group NAME/ADDRESS are handled by _vendor_type).
_TEXT_TYPES = {
    "VENDOR_NAME": "vendor_name",
    "VENDOR_ADDRESS": "vendor_address",
    "VENDOR_PHONE": "vendor_phone",
    "INVOICE_RECEIPT_ID": "receipt_number",
}
_MONEY_TYPES = {
    "SUBTOTAL": "subtotal",
    "TAX": "tax",
    "GRATUITY": "tip",
    "DISCOUNT": "discount",
    "AMOUNT_PAID": "amount_paid",
}
_DATE_TYPES = ("INVOICE_RECEIPT_DATE", "ORDER_DATE")
_STRONG_TOTAL = re.compile(r"^(grand\s+)?total\b|amount\s+due|total\s+due|balance\s+due")
_WEAK_TOTAL = re.compile(r"total|amount|due")
_NOT_TOTAL = re.compile(r"sub\s*-?\s*total|\btax\b|\bvat\b|\bgst\b")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Field:
    """One summary field as Textract printed it."""

    ftype: str
    label: str
    text: str
    confidence: float
    page: int
    groups: tuple[str, ...]
    currency: str | None
    box: FieldBox | None = None


def parse_expense(raw: dict[str, Any]) -> list[Receipt]:
    """Every receipt in one AnalyzeExpense or GetExpenseAnalysis response, in ExpenseIndex order.

    Unknown top-level keys are ignored. A response without expense documents gives an empty list.
    """
    from trp.trp2_expense import TAnalyzeExpenseDocumentSchema

    known = {k: v for k, v in raw.items() if k in _KNOWN_TOP_LEVEL}
    known["ExpenseDocuments"] = [_complete_labels(doc) for doc in raw.get("ExpenseDocuments") or []]
    parsed = TAnalyzeExpenseDocumentSchema().load(known)
    raw_docs: list[dict[str, Any]] = list(raw.get("ExpenseDocuments") or [])
    groups: dict[int, list[tuple[Any, dict[str, Any]]]] = {}
    for position, (doc, raw_doc) in enumerate(zip(parsed.expenses_documents or [], raw_docs, strict=True)):
        index = doc.expense_idx if doc.expense_idx is not None else position + 1
        groups.setdefault(index, []).append((doc, raw_doc))
    receipts = [_receipt(parts) for _, parts in sorted(groups.items())]
    return _merge_continuations(receipts)


_KNOWN_TOP_LEVEL = frozenset(
    {
        "DocumentMetadata",
        "ExpenseDocuments",
        "StatusMessage",
        "Warnings",
        "JobStatus",
        "NextToken",
        "ResponseMetadata",
        "AnalyzeExpenseModelVersion",
    }
)


_EMPTY_GEOMETRY = {"BoundingBox": {"Width": 0.0, "Height": 0.0, "Left": 0.0, "Top": 0.0}, "Polygon": []}


def _complete_labels(raw_doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of one expense document in which every ``LabelDetection`` has Text, Confidence and Geometry.

    trp's ``TLabelDetection`` requires all three, but real responses omit geometry (and sometimes
    confidence); we never read label geometry, so an empty box stands in."""

    def fixed(field: dict[str, Any]) -> dict[str, Any]:
        label = field.get("LabelDetection")
        if not isinstance(label, dict):
            return field
        complete = {"Text": "", "Confidence": 0.0, "Geometry": _EMPTY_GEOMETRY, **label}
        return {**field, "LabelDetection": complete}

    groups = [
        {
            **group,
            "LineItems": [
                {**item, "LineItemExpenseFields": [fixed(f) for f in item.get("LineItemExpenseFields") or []]}
                for item in group.get("LineItems") or []
            ],
        }
        for group in raw_doc.get("LineItemGroups") or []
    ]
    return {
        **raw_doc,
        "SummaryFields": [fixed(f) for f in raw_doc.get("SummaryFields") or []],
        "LineItemGroups": groups,
    }


def _fields(doc: Any, raw_doc: dict[str, Any]) -> list[_Field]:
    out: list[_Field] = []
    raw_fields = raw_doc.get("SummaryFields") or []
    for field, raw_field in zip(doc.summaryfields or [], raw_fields, strict=True):
        value = field.valuedetection
        label = field.labeldetection
        out.append(
            _Field(
                ftype=(field.ftype.text if field.ftype and field.ftype.text else "OTHER").upper(),
                label=(label.text if label and label.text else "").strip(),
                text=(value.text if value and value.text else ""),
                confidence=values.confidence(value.confidence if value else None),
                page=field.pagenumber or 1,
                groups=tuple(t.upper() for g in field.group_properties or [] for t in g.types or []),
                currency=(raw_field.get("Currency") or {}).get("Code"),
                box=_value_box(raw_field, (field.pagenumber or 1) - 1),
            )
        )
    return out


def _value_box(raw_field: dict[str, Any], page: int) -> FieldBox | None:
    """The value's ``Geometry.BoundingBox`` (already normalised to the page), when Textract sent one."""
    bounds = ((raw_field.get("ValueDetection") or {}).get("Geometry") or {}).get("BoundingBox") or {}
    try:
        left, top = float(bounds["Left"]), float(bounds["Top"])
        width, height = float(bounds["Width"]), float(bounds["Height"])
    except (KeyError, TypeError, ValueError):
        return None
    return FieldBox.from_pixels(max(page, 0), (left, top, left + width, top + height), (1.0, 1.0))


def _vendor_type(field: _Field) -> str:
    if "VENDOR" in field.groups and field.ftype == "NAME":
        return "VENDOR_NAME_GROUP"
    if "VENDOR" in field.groups and field.ftype == "ADDRESS":
        return "VENDOR_ADDRESS_GROUP"
    return field.ftype


def _best(fields: Iterable[_Field]) -> _Field | None:
    usable = [f for f in fields if values.clean_text(f.text)]
    return max(usable, key=lambda f: f.confidence, default=None)


def _text_field(candidates: Sequence[_Field]) -> TextField:
    best = _best(candidates)
    if best is None:
        return TextField()
    return TextField(
        value=values.clean_text(best.text), text=best.text, confidence=best.confidence, box=best.box
    )


def _money_field(candidates: Sequence[_Field], currency: str | None) -> MoneyField:
    usable = [f for f in candidates if values.parse_money(f.text) is not None]
    best = max(usable, key=lambda f: f.confidence, default=None)
    if best is None:
        return MoneyField()
    return _money(best, currency)


def _money(field: _Field, currency: str | None) -> MoneyField:
    return MoneyField(
        value=values.parse_money(field.text),
        text=field.text,
        confidence=field.confidence,
        currency=field.currency or values.currency_of(field.text) or currency,
        box=field.box,
    )


def _receipt(parts: list[tuple[Any, dict[str, Any]]]) -> Receipt:
    fields = [f for doc, raw_doc in parts for f in _fields(doc, raw_doc)]
    by_type: dict[str, list[_Field]] = {}
    for field in fields:
        by_type.setdefault(_vendor_type(field), []).append(field)
    currency = next((f.currency for f in fields if f.currency), None) or next(
        (c for f in fields if f.ftype in (*_MONEY_TYPES, "TOTAL") and (c := values.currency_of(f.text))), None
    )
    receipt = Receipt(provider="textract", raw_text=_raw_text(parts))
    for ftype, name in _TEXT_TYPES.items():
        setattr(receipt, name, _text_field(by_type.get(ftype, [])))
    if not receipt.vendor_name.present:
        receipt.vendor_name = _text_field(by_type.get("VENDOR_NAME_GROUP", []))
    if not receipt.vendor_address.present:
        receipt.vendor_address = _text_field(by_type.get("VENDOR_ADDRESS_GROUP", []))
    for ftype, name in _MONEY_TYPES.items():
        setattr(receipt, name, _money_field(by_type.get(ftype, []), currency))
    receipt.total = _pick_total(by_type.get("TOTAL", []), receipt, currency)
    day_first = currency in values.DAY_FIRST_CURRENCIES
    receipt.date = _date_field([f for t in _DATE_TYPES for f in by_type.get(t, [])], day_first)
    if currency:
        receipt.currency = TextField(
            value=currency, text=currency, confidence=receipt.total.confidence or 0.9
        )
    receipt.line_items = [item for doc, _ in parts for item in _line_items(doc)]
    return receipt


def _date_field(candidates: Sequence[_Field], day_first: bool) -> DateField:
    usable = [f for f in candidates if values.parse_date(f.text, day_first=day_first) is not None]
    best = max(usable, key=lambda f: f.confidence, default=None)
    if best is None:
        return DateField()
    return DateField(
        value=values.parse_date(best.text, day_first=day_first),
        text=best.text,
        confidence=best.confidence,
        box=best.box,
    )


def _label_rank(label: str) -> int:
    lowered = " ".join(label.lower().split())
    if _STRONG_TOTAL.search(lowered):
        return 2
    return 1 if _WEAK_TOTAL.search(lowered) else 0


def _pick_total(candidates: Sequence[_Field], receipt: Receipt, currency: str | None) -> MoneyField:
    usable = [
        f
        for f in candidates
        if values.parse_money(f.text) is not None and not _NOT_TOTAL.search(f.label.lower())
    ]
    if not usable:
        return MoneyField()
    expected = _expected_total(receipt)
    votes: dict[Decimal, int] = {}
    for f in usable:
        amount = values.parse_money(f.text)
        assert amount is not None
        votes[amount] = votes.get(amount, 0) + 1

    def rank(f: _Field) -> tuple[bool, int, int, bool, float]:
        amount = values.parse_money(f.text)
        assert amount is not None
        consistent = expected is not None and abs(amount - expected) <= _CENT
        return (consistent, _label_rank(f.label), votes[amount], amount != 0, f.confidence)

    return _money(max(usable, key=rank), currency)


def _expected_total(receipt: Receipt) -> Decimal | None:
    """subtotal + tax + tip - |discount|, when subtotal and tax are both known."""
    subtotal, tax = receipt.subtotal.value, receipt.tax.value
    if subtotal is None or tax is None:
        return None
    tip = receipt.tip.value or Decimal(0)
    discount = abs(receipt.discount.value or Decimal(0))
    return subtotal + tax + tip - discount


def _line_items(doc: Any) -> list[LineItem]:
    items: list[LineItem] = []
    for group in doc.lineitemgroups or []:
        for line in group.lineitems or []:
            item = _line_item(line.lineitem_expensefields or [])
            if item is not None:
                items.append(item)
    return items


def _line_item(expense_fields: Sequence[Any]) -> LineItem | None:
    found: dict[str, tuple[str, float]] = {}
    for ef in expense_fields:
        ftype = (ef.ftype.text if ef.ftype and ef.ftype.text else "OTHER").upper()
        value = ef.valuedetection
        text = value.text if value and value.text else ""
        if text and ftype not in found:
            found[ftype] = (text, values.confidence(value.confidence))
    description_key = next((k for k in ("ITEM", "DESCRIPTION", "EXPENSE_ROW") if k in found), None)
    amount_key = next((k for k in ("PRICE", "TOTAL", "AMOUNT") if k in found), None)
    description = values.clean_text(found[description_key][0]) if description_key else None
    amount = values.parse_money(found[amount_key][0]) if amount_key else None
    if description is None and amount is None:
        return None
    used = [found[k][1] for k in (description_key, amount_key) if k]
    return LineItem(
        description=description or "",
        quantity=values.parse_money(found["QUANTITY"][0]) if "QUANTITY" in found else None,
        unit_price=values.parse_money(found["UNIT_PRICE"][0]) if "UNIT_PRICE" in found else None,
        amount=amount,
        confidence=min(used),
    )


def _raw_text(parts: list[tuple[Any, dict[str, Any]]]) -> str:
    lines: list[str] = []
    for _, raw_doc in parts:
        for block in raw_doc.get("Blocks") or []:
            if block.get("BlockType") == "LINE" and block.get("Text"):
                lines.append(block["Text"])
    return "\n".join(lines)


def present_fields(receipt: Receipt) -> int:
    """How many summary fields hold a value."""
    return sum(1 for name in SUMMARY_FIELDS if getattr(receipt, name).present)


def merge_receipts(receipts: Sequence[Receipt]) -> Receipt:
    """One receipt from parts of the same document (pages): the most confident value of each summary field,
    line items and raw text concatenated in page order. The total is re-picked only by confidence."""
    if len(receipts) == 1:
        return receipts[0]
    merged = receipts[0].model_copy(deep=True)
    for other in receipts[1:]:
        for name in SUMMARY_FIELDS:
            mine, theirs = getattr(merged, name), getattr(other, name)
            if theirs.present and (not mine.present or theirs.confidence > mine.confidence):
                setattr(merged, name, theirs.model_copy(deep=True))
        merged.line_items.extend(item.model_copy() for item in other.line_items)
        merged.raw_text = "\n".join(t for t in (merged.raw_text, other.raw_text) if t)
    return merged


def _merge_continuations(receipts: list[Receipt]) -> list[Receipt]:
    """Merge receipts that share a receipt number (the same invoice indexed once per page)."""
    out: list[Receipt] = []
    by_number: dict[str, int] = {}
    for receipt in receipts:
        number = receipt.receipt_number.value
        if number is not None and number in by_number:
            position = by_number[number]
            out[position] = merge_receipts([out[position], receipt])
            continue
        if number is not None:
            by_number[number] = len(out)
        out.append(receipt)
    return out
