"""The expense record: summary fields, line items and consistency checks."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, Field

from receiptflow.models.fields import DateField, MoneyField, TextField, TimeField

SUMMARY_FIELDS: tuple[str, ...] = (
    "vendor_name",
    "vendor_address",
    "vendor_phone",
    "receipt_number",
    "date",
    "time",
    "currency",
    "subtotal",
    "tax",
    "tip",
    "discount",
    "total",
    "amount_paid",
    "payment_method",
    "category",
)
MONEY_FIELDS: tuple[str, ...] = ("subtotal", "tax", "tip", "discount", "total", "amount_paid")


class LineItem(BaseModel):
    """One purchased line."""

    description: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class ReceiptCheck(BaseModel):
    """The outcome of one arithmetic or plausibility check on a receipt."""

    name: str
    passed: bool
    detail: str = ""


class Receipt(BaseModel):
    """A structured, checked expense record."""

    vendor_name: TextField = Field(default_factory=TextField)
    vendor_address: TextField = Field(default_factory=TextField)
    vendor_phone: TextField = Field(default_factory=TextField)
    receipt_number: TextField = Field(default_factory=TextField)
    date: DateField = Field(default_factory=DateField)
    time: TimeField = Field(default_factory=TimeField)
    currency: TextField = Field(default_factory=TextField)
    subtotal: MoneyField = Field(default_factory=MoneyField)
    tax: MoneyField = Field(default_factory=MoneyField)
    tip: MoneyField = Field(default_factory=MoneyField)
    discount: MoneyField = Field(default_factory=MoneyField)
    total: MoneyField = Field(default_factory=MoneyField)
    amount_paid: MoneyField = Field(default_factory=MoneyField)
    payment_method: TextField = Field(default_factory=TextField)
    category: TextField = Field(default_factory=TextField)
    line_items: list[LineItem] = Field(default_factory=list)
    checks: list[ReceiptCheck] = Field(default_factory=list)
    provider: str = ""
    raw_text: str = ""

    def min_key_confidence(self) -> float:
        """Lowest confidence among the fields users pay for (vendor, date, total)."""
        return min(self.vendor_name.confidence, self.date.confidence, self.total.confidence)
