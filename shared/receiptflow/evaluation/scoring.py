"""SROIE task-3 scoring: upper-case, whitespace collapsed, exact match; total compared as a number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from receiptflow.models import Receipt

FIELDS: tuple[str, ...] = ("company", "date", "address", "total")
_WS = re.compile(r"\s+")


def normalise_text(value: str | None) -> str:
    """Upper-cased, whitespace collapsed and trimmed."""
    return _WS.sub(" ", value or "").strip().upper()


def parse_total(value: str | Decimal | None) -> Decimal | None:
    """A total as a number: currency symbols, letters and thousands separators dropped."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    cleaned = re.sub(r"[^\d.,\-]", "", value).replace(",", "")
    try:
        return Decimal(cleaned) if cleaned else None
    except InvalidOperation:
        return None


def field_matches(field: str, predicted: str | Decimal | None, truth: str | None) -> bool:
    """True when ``predicted`` equals the ground truth under the SROIE protocol."""
    if field == "total":
        want, got = parse_total(truth), parse_total(predicted)
        return want is not None and got is not None and want == got
    return normalise_text(truth) == normalise_text(predicted if isinstance(predicted, str) else None)


@dataclass(frozen=True)
class FieldPrediction:
    """One field's predicted value (as scored) and its confidence."""

    value: str | Decimal | None
    confidence: float


def predictions(receipt: Receipt) -> dict[str, FieldPrediction]:
    """The scored fields of a receipt: company ← vendor_name.text, address ← vendor_address.text,
    date ← date.text, total ← total.value."""
    return {
        "company": FieldPrediction(receipt.vendor_name.text, receipt.vendor_name.confidence),
        "address": FieldPrediction(receipt.vendor_address.text, receipt.vendor_address.confidence),
        "date": FieldPrediction(receipt.date.text, receipt.date.confidence),
        "total": FieldPrediction(receipt.total.value, receipt.total.confidence),
    }
