"""Unit: arithmetic/plausibility checks and the keyword category."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from receiptflow.extract.checks import check_receipt, infer_category
from receiptflow.models import DateField, LineItem, MoneyField, Receipt, TextField

TODAY = dt.date(2026, 11, 22)


def _receipt(**money: str) -> Receipt:
    r = Receipt()
    for name, value in money.items():
        setattr(r, name, MoneyField(value=Decimal(value), currency="USD"))
    return r


def _checks(r: Receipt) -> dict[str, bool]:
    return {c.name: c.passed for c in check_receipt(r, today=TODAY).checks}


def test_totals_add_up_with_tax_tip_and_discount() -> None:
    r = _receipt(subtotal="39.90", tax="3.19", tip="7.50", discount="2.00", total="48.59")
    assert _checks(r)["totals_add_up"] is True
    r.total = MoneyField(value=Decimal("50.59"))
    assert _checks(r)["totals_add_up"] is False


def test_tax_inclusive_totals_pass() -> None:
    # GST-inclusive receipts print the tax but the subtotal already contains it
    assert _checks(_receipt(subtotal="17.70", tax="1.00", total="17.70"))["totals_add_up"] is True


def test_line_items_sum_to_subtotal_or_total() -> None:
    r = _receipt(subtotal="10.00", total="10.60")
    r.line_items = [
        LineItem(description="A", amount=Decimal("4.00")),
        LineItem(description="B", amount=Decimal("6.00")),
    ]
    assert _checks(r)["items_sum"] is True
    r.line_items.pop()
    assert _checks(r)["items_sum"] is False


def test_paid_must_cover_total() -> None:
    assert _checks(_receipt(total="9.00", amount_paid="10.00"))["paid_covers_total"] is True
    assert _checks(_receipt(total="9.00", amount_paid="5.00"))["paid_covers_total"] is False


def test_dates_in_the_future_or_long_ago_fail() -> None:
    r = Receipt(date=DateField(value=dt.date(2018, 12, 25)))
    assert _checks(r) == {"date_not_future": True, "date_not_too_old": True}
    r.date = DateField(value=dt.date(2027, 1, 1))
    assert _checks(r)["date_not_future"] is False
    r.date = DateField(value=dt.date(1990, 1, 1))
    assert _checks(r)["date_not_too_old"] is False


def test_no_values_no_checks_and_input_unchanged() -> None:
    r = Receipt()
    out = check_receipt(r, today=TODAY)
    assert out.checks == []
    assert r.category.value is None  # the input is not modified


def test_category_from_vendor_then_items() -> None:
    def category(vendor: str, items: tuple[str, ...] = ()) -> str:
        r = Receipt(vendor_name=TextField(value=vendor))
        r.line_items = [LineItem(description=d) for d in items]
        return infer_category(r)

    assert category("QUICKSTOP FUEL") == "fuel"
    assert category("SHELL KEPONG") == "fuel"
    assert category("MR. D.I.Y. (M) SDN BHD") == "hardware"
    assert category("POPULAR BOOK CO. (M) SDN BHD") == "stationery"
    assert category("BLUE PLATE DINER") == "restaurant"
    assert category("99 SPEED MART S/B") == "groceries"
    assert category("FARMASI MALURI S/B") == "pharmacy"
    assert category("ACME LTD", ("WHOLE MILK 1GAL",)) == "groceries"
    assert category("ACME LTD") == "other"


def test_existing_category_is_kept() -> None:
    r = Receipt(vendor_name=TextField(value="SHELL"), category=TextField(value="transport", confidence=0.9))
    assert check_receipt(r, today=TODAY).category.value == "transport"
