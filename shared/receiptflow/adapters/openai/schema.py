"""The structured-output schema OpenAI fills in, derived from ``Receipt``, and its conversion back.

OpenAI strict JSON schemas have no decimal or date types and every property must be required (nullable
instead of optional), so the schema is derived field by field from ``Receipt.model_fields``: each summary
field becomes ``{text, value, confidence}`` with ``value`` a plain string (``"12.34"``, ``"2019-12-07"``,
``"14:05"``), and ``to_receipt`` parses those strings into our typed fields (Decimal, date, time).
Deriving keeps the two from drifting: a field added to ``Receipt`` appears in the schema.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from receiptflow.models import (
    SUMMARY_FIELDS,
    DateField,
    LineItem,
    MoneyField,
    Receipt,
    TextField,
    TimeField,
)
from receiptflow.providers import values

_STRICT = ConfigDict(extra="forbid")
_VALUE_HINTS: dict[type, str] = {
    TextField: "the value cleaned up (whitespace collapsed)",
    MoneyField: "the amount as a plain decimal number, e.g. 1234.50 (negative for discounts given as minus)",
    DateField: "the date as YYYY-MM-DD",
    TimeField: "the time as HH:MM or HH:MM:SS (24-hour)",
}


class AIField(BaseModel):
    """One extracted value as the model reports it."""

    model_config = _STRICT

    text: str | None = Field(description="the value exactly as printed on the receipt, or null if absent")
    value: str | None = Field(description="the normalised value (format given per field), or null")
    confidence: float = Field(description="your confidence in this value, 0 to 1")


class AILineItem(BaseModel):
    """One purchased line as the model reports it."""

    model_config = _STRICT

    description: str
    quantity: str | None = Field(description="plain decimal number or null")
    unit_price: str | None = Field(description="plain decimal number or null")
    amount: str | None = Field(description="line total as a plain decimal number or null")
    confidence: float = Field(description="0 to 1")


def _field_type(name: str) -> type:
    annotation = Receipt.model_fields[name].annotation
    assert isinstance(annotation, type)
    return annotation


def _derive() -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (
            AIField,
            Field(description=f"{name.replace('_', ' ')}: value is {_VALUE_HINTS[_field_type(name)]}"),
        )
        for name in SUMMARY_FIELDS
    }
    fields["line_items"] = (list[AILineItem], Field(description="every purchased line, in printed order"))
    model: type[BaseModel] = create_model("ReceiptExtraction", __config__=_STRICT, **fields)
    return model


ReceiptExtraction: type[BaseModel] = _derive()

INSTRUCTIONS = (
    "You read one photographed or scanned receipt and extract its fields. "
    "Report each field's text exactly as printed and its normalised value; null for anything not printed. "
    "The currency value is the ISO 4217 code (e.g. USD, EUR, MYR). "
    "The total is the final amount payable, never a subtotal or tax. "
    "If the image is not a receipt or is unreadable, return every field null and no line items."
)


def to_receipt(extraction: BaseModel, provider: str) -> Receipt:
    """Our typed ``Receipt`` from the model's strings (unparseable values become absent, text kept)."""
    receipt = Receipt(provider=provider)
    currency: str | None = None
    raw_currency = getattr(extraction, "currency", None)
    if isinstance(raw_currency, AIField):
        currency = (raw_currency.value or values.currency_of(raw_currency.text) or "").upper() or None
    for name in SUMMARY_FIELDS:
        ai = getattr(extraction, name)
        assert isinstance(ai, AIField)
        setattr(receipt, name, _convert(_field_type(name), ai, currency))
    receipt.line_items = [
        LineItem(
            description=values.clean_text(item.description) or "",
            quantity=values.parse_money(item.quantity),
            unit_price=values.parse_money(item.unit_price),
            amount=values.parse_money(item.amount),
            confidence=_clamp(item.confidence),
        )
        for item in getattr(extraction, "line_items", [])
        if isinstance(item, AILineItem) and (item.description or item.amount)
    ]
    return receipt


def _convert(kind: type, ai: AIField, currency: str | None) -> Any:
    confidence = _clamp(ai.confidence)
    raw = ai.value if ai.value is not None else ai.text
    if kind is MoneyField:
        amount = values.parse_money(raw)
        found = amount is not None
        return MoneyField(
            value=amount,
            text=ai.text,
            confidence=confidence if found else 0.0,
            currency=(values.currency_of(ai.text) or currency) if found else None,
        )
    if kind is DateField:
        date = values.parse_date(raw)
        return DateField(value=date, text=ai.text, confidence=confidence if date else 0.0)
    if kind is TimeField:
        time = values.parse_time(raw)
        return TimeField(value=time, text=ai.text, confidence=confidence if time else 0.0)
    text = values.clean_text(raw)
    return TextField(value=text, text=ai.text, confidence=confidence if text else 0.0)


def _clamp(confidence: float) -> float:
    return max(0.0, min(1.0, float(confidence)))
