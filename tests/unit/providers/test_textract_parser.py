"""Functional: every recorded Textract response parses into the expected receipt(s)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from receiptflow.adapters.aws.textract_parser import parse_expense, present_fields

from tests.support.textract import MEGA_MARKET, fixture_names, load_fixture


@dataclass(frozen=True)
class Expected:
    """What one recorded response must give (None = field absent)."""

    receipts: int
    vendor: str | None
    date: str | None
    total: str | None
    line_items: int


EXPECTED: dict[str, Expected] = {
    MEGA_MARKET: Expected(1, "MEGA MARKET PLUS", "2019-12-07", "1810.46", 4),
    "textractor__test_analyze_expense_no_summary_fields.json": Expected(1, None, None, None, 29),
    # two pages indexed as two expense documents with the same invoice number: merged into one
    "trp__analyzeExpenseResponse-multipage.json": Expected(1, "META", "2020-03-12", "5715.00", 8),
    "trp__expense-missing-geoms-response.json": Expected(1, None, None, None, 0),
    # the only NAME is the receiver's (no VENDOR group), so no vendor
    "trp__invoice-expense-response.json": Expected(1, None, "2021-01-01", "6231.09", 4),
    "trp__test_trp2_expense_sample1.json": Expected(1, None, None, "50.00", 21),
    "trp__test_trp2_expense_sample2.json": Expected(1, "costco", None, "38.48", 3),
    # TOTAL printed five times: 60.00 four times, "Balance" 0.00 once
    "trp__test_trp2_expense_sample3.json": Expected(1, "Demo Clinic", None, "60.00", 1),
    # TOTAL twice as "Amount Due" 4,544.65 and once as "Charges" 5,680.81
    "trp__test_trp2_expense_sample4.json": Expected(1, None, "2017-01-13", "4544.65", 6),
}


def test_every_fixture_has_expectations(shared_dir: Path) -> None:
    assert set(fixture_names(shared_dir)) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_parses_as_expected(shared_dir: Path, name: str) -> None:
    expected = EXPECTED[name]
    receipts = parse_expense(load_fixture(shared_dir, name))
    assert len(receipts) == expected.receipts
    receipt = receipts[0]
    assert receipt.vendor_name.value == expected.vendor
    assert (receipt.date.value.isoformat() if receipt.date.value else None) == expected.date
    assert receipt.total.value == (Decimal(expected.total) if expected.total else None)
    assert len(receipt.line_items) == expected.line_items
    assert receipt.provider == "textract"
    for name_ in ("vendor_name", "date", "total"):
        field = getattr(receipt, name_)
        assert (field.confidence > 0) == field.present


def test_mega_market_plus_fields(shared_dir: Path) -> None:
    (receipt,) = parse_expense(load_fixture(shared_dir, MEGA_MARKET))
    assert receipt.vendor_name.value == "MEGA MARKET PLUS"
    assert receipt.vendor_name.confidence == pytest.approx(0.9997, abs=1e-4)
    assert receipt.date.text == "12/07/2019"
    assert receipt.date.value is not None and receipt.date.value.isoformat() == "2019-12-07"
    assert receipt.subtotal.value == Decimal("1699.96")
    assert receipt.tax.value == Decimal("110.50")
    assert receipt.total.value == Decimal("1810.46")
    assert receipt.total.text == "$1810.46"
    assert receipt.total.currency == "USD"
    assert receipt.amount_paid.value == Decimal("1810.46")
    assert receipt.currency.value == "USD"
    assert receipt.receipt_number.value == "21772"
    assert receipt.vendor_phone.value == "800-532-2918"
    first = receipt.line_items[0]
    assert first.description == "LG FLATSCREEN 65"
    assert first.amount == Decimal("899.99")  # printed "$899.99 S"
    assert sum(item.amount or Decimal(0) for item in receipt.line_items) == Decimal("1699.96")
    assert "MEGA MARKET PLUS" in receipt.raw_text


def test_total_rule_prefers_amount_due_over_charges(shared_dir: Path) -> None:
    (receipt,) = parse_expense(load_fixture(shared_dir, "trp__test_trp2_expense_sample4.json"))
    assert receipt.total.value == Decimal("4544.65")
    assert receipt.discount.value == Decimal("-1136.16")


def test_total_consistent_with_subtotal_and_tax_wins_over_label() -> None:
    raw = {
        "ExpenseDocuments": [
            {
                "ExpenseIndex": 1,
                "SummaryFields": [
                    _summary("SUBTOTAL", "Subtotal", "10.00"),
                    _summary("TAX", "Tax", "0.80"),
                    _summary("TOTAL", "Total", "99.00", 99.0),
                    _summary("TOTAL", "Card", "10.80", 60.0),
                    _summary("TOTAL", "Subtotal", "10.00", 99.9),  # mislabelled subtotal: never the total
                ],
            }
        ]
    }
    (receipt,) = parse_expense(raw)
    assert receipt.total.value == Decimal("10.80")


def test_values_with_newlines_are_collapsed(shared_dir: Path) -> None:
    (receipt,) = parse_expense(load_fixture(shared_dir, "trp__analyzeExpenseResponse-multipage.json"))
    assert receipt.vendor_name.text == "META\n-"
    assert receipt.vendor_name.value == "META"
    assert "\n" not in receipt.line_items[0].description
    assert receipt.line_items[0].quantity == Decimal("3")
    assert receipt.line_items[0].amount == Decimal("1350.00")


def test_several_receipts_in_one_image_stay_separate() -> None:
    raw = {
        "ExpenseDocuments": [
            {
                "ExpenseIndex": 1,
                "SummaryFields": [_summary("VENDOR_NAME", "", "CAFE A"), _summary("TOTAL", "Total", "$4.50")],
            },
            {
                "ExpenseIndex": 2,
                "SummaryFields": [_summary("VENDOR_NAME", "", "SHOP B"), _summary("TOTAL", "Total", "$9.99")],
            },
        ]
    }
    receipts = parse_expense(raw)
    assert [r.vendor_name.value for r in receipts] == ["CAFE A", "SHOP B"]
    assert [present_fields(r) for r in receipts] == [3, 3]  # vendor, total, currency


def test_no_expense_documents_gives_no_receipts() -> None:
    assert parse_expense({"DocumentMetadata": {"Pages": 1}, "ExpenseDocuments": []}) == []


def _summary(ftype: str, label: str, value: str, confidence: float = 99.0) -> dict[str, object]:
    field: dict[str, object] = {
        "Type": {"Text": ftype, "Confidence": 99.0},
        "ValueDetection": {"Text": value, "Confidence": confidence},
        "PageNumber": 1,
    }
    if label:
        field["LabelDetection"] = {"Text": label, "Confidence": 99.0}
    return field
