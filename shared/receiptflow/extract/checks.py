"""Arithmetic and plausibility checks on a receipt, and a keyword category when none is set.

The pipeline calls ``check_receipt`` on every provider's output, so checks read only the model.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from receiptflow.models import Receipt, ReceiptCheck, TextField

TOLERANCE = Decimal("0.05")
# a receipt dated more than this many years back is implausible for an expense record (or misread)
OLDEST_PLAUSIBLE_YEARS = 10
# the date's confidence after a failed date check: a future date is nearly always a misreading (a
# Buddhist-era or two-digit year read in the wrong century, day and month swapped); an old one may be
# right but needs a look
FUTURE_DATE_CONFIDENCE = 0.3
OLD_DATE_CONFIDENCE = 0.6

_CATEGORY_WORDS: dict[str, str] = {
    "fuel": r"PETRO\w*|SHELL|PETRONAS|CALTEX|BHP|ESSO|CHEVRON|FUEL|GASOLINE|DIESEL|UNLEADED|RON ?9[57]|"
    r"PUMP \d+",
    "pharmacy": r"PHARMA\w*|FARMASI|CLINIC|KLINIK|GUARDIAN|WATSONS|CVS|WALGREENS|DRUG\w*|MEDICAL|APOTHEKE",
    "stationery": r"STATIONE\w*|BOOKS?|BOOKSTORES?|POPULAR|PAPER|PRINT\w*|PHOTOCOPY|PEN|NOTEBOOK|"
    r"OFFICE",
    "hardware": r"HARDWARE|ELECTRICAL|MACHINERY|D\.? ?I\.? ?Y\.?|TOOLS?|PAINT|PLUMB\w*|IKEA|HOME ?DEPOT|"
    r"LIGHTING",
    "transport": r"TAXI|GRAB|UBER|PARKING|TOLL|TRANSIT|RAILWAY|BUS|AIRLINE|AIRPORT|LRT|MRT|TICKET",
    "restaurant": r"RESTAURANTS?|RESTORAN|CAFE|KAFE|COFFEE|KOPI|BISTRO|KITCHEN|FOOD|NASI|CHICKEN|BURGER|"
    r"PIZZA|MCDONALD'?S|KFC|BAKER(Y|IES)|BAECKEREI|DINING|DINER|BAR|GRILL|TEA|DRINKS?|TABLE|PAX|TIPS?|GRATUITY|"
    r"SERVER",
    "groceries": r"SUPERMARKET|HYPERMARKET|GROCER\w*|MART|MARKET|AEON|TESCO|GIANT|MYDIN|FRESH|VEGETABLES?|"
    r"FRUITS?|MILK|EGGS?|RICE|BREAD|SAFEWAY|KROGER|ALDI|LIDL|KEDAI RUNCIT",
}
CATEGORY_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rf"\b({words})(?!\w)", re.I)) for name, words in _CATEGORY_WORDS.items()
)


def _money_check(name: str, expected: Decimal, actual: Decimal, what: str) -> ReceiptCheck:
    ok = abs(expected - actual) <= TOLERANCE
    return ReceiptCheck(name=name, passed=ok, detail=f"{what} = {expected} vs {actual}")


def _checks(receipt: Receipt, today: dt.date) -> list[ReceiptCheck]:
    out: list[ReceiptCheck] = []
    total = receipt.total.value
    sub = receipt.subtotal.value
    if total is not None and sub is not None:
        expected = (
            sub
            + (receipt.tax.value or Decimal(0))
            + (receipt.tip.value or Decimal(0))
            - abs(receipt.discount.value or Decimal(0))
        )
        check = _money_check("totals_add_up", expected, total, "subtotal + tax + tip - discount")
        if not check.passed and receipt.tax.value is not None:
            # tax-inclusive receipts (GST/VAT included in the subtotal)
            incl = sub + (receipt.tip.value or Decimal(0)) - abs(receipt.discount.value or Decimal(0))
            if abs(incl - total) <= TOLERANCE:
                check = ReceiptCheck(
                    name="totals_add_up", passed=True, detail=f"tax included: {incl} vs {total}"
                )
        out.append(check)
    amounts = [i.amount for i in receipt.line_items if i.amount is not None]
    if amounts and (sub is not None or total is not None):
        items_sum = sum(amounts, Decimal(0))
        targets = [t for t in (sub, total) if t is not None]
        passed = any(abs(items_sum - t) <= TOLERANCE for t in targets)
        out.append(
            ReceiptCheck(
                name="items_sum",
                passed=passed,
                detail=f"line items sum to {items_sum}; subtotal {sub}, total {total}",
            )
        )
    paid = receipt.amount_paid.value
    if total is not None and paid is not None:
        out.append(
            ReceiptCheck(name="paid_covers_total", passed=paid >= total, detail=f"paid {paid}, total {total}")
        )
    if receipt.date.value is not None:
        d = receipt.date.value
        out.append(
            ReceiptCheck(
                name="date_not_future", passed=d <= today + dt.timedelta(days=1), detail=d.isoformat()
            )
        )
        oldest = today.replace(year=today.year - OLDEST_PLAUSIBLE_YEARS, day=min(today.day, 28))
        out.append(ReceiptCheck(name="date_not_too_old", passed=d >= oldest, detail=d.isoformat()))
    return out


def infer_category(receipt: Receipt) -> str:
    """A spending category from keyword rules over vendor name and line items; ``other`` when none fits."""
    vendor = receipt.vendor_name.value or ""
    items = " ".join(i.description for i in receipt.line_items)
    for text in (vendor, items, receipt.raw_text[:400]):
        for name, pattern in CATEGORY_RULES:
            if text and pattern.search(text):
                return name
    return "other"


def _date_confidence(receipt: Receipt, checks: list[ReceiptCheck]) -> None:
    """Lower the date's confidence when a date check failed."""
    failed = {c.name for c in checks if not c.passed}
    cap = 1.0
    if "date_not_future" in failed:
        cap = FUTURE_DATE_CONFIDENCE
    elif "date_not_too_old" in failed:
        cap = OLD_DATE_CONFIDENCE
    if receipt.date.confidence > cap:
        receipt.date.confidence = cap


def check_receipt(receipt: Receipt, *, today: dt.date | None = None) -> Receipt:
    """A copy of ``receipt`` with its checks (replacing earlier ones), the date's confidence lowered when
    a date check fails, and a category if it had none."""
    out = receipt.model_copy(deep=True)
    out.checks = _checks(out, today or dt.date.today())
    _date_confidence(out, out.checks)
    if not out.category.value:
        category = infer_category(out)
        out.category = TextField(value=category, text=None, confidence=0.6 if category != "other" else 0.3)
    return out
