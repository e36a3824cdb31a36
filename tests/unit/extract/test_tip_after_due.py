"""Unit: a tip written or printed under the amount due, and the total under it that includes the tip:
the total is what was charged. Receipts written for these tests (US, German, Spanish)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from receiptflow.extract import extract_receipt

from tests.unit.extract.layouts import receipt_lines


@pytest.mark.parametrize(
    ("rows", "total"),
    [
        (
            [
                "Joe's Diner",
                "Springfield, IL 62701",
                "10/02/2026 7:42 PM",
                "2 Burger Deluxe | 25.98",
                "Subtotal | 35.48",
                "Tax | 3.19",
                "Amount Due | 38.67",
                "Tip: | 7.00",
                "Total: | 45.67",
                "Visa XXXX1234",
            ],
            "45.67",
        ),
        (
            [
                "Gasthaus Krone",
                "Hauptstr. 3, 79098 Freiburg",
                "02.10.2026 19:42",
                "2 Schnitzel | 29,80",
                "Zu zahlen | 34,60 EUR",
                "Trinkgeld | 3,40",
                "Gesamt | 38,00",
                "EC-Karte | 38,00",
            ],
            "38.00",
        ),
        (
            [
                "Bar Pepe",
                "C/ Mayor 3, 28013 Madrid",
                "02/10/2026 21:10",
                "2 Cañas | 5,00",
                "TOTAL A PAGAR | 12,50",
                "PROPINA | 1,50",
                "TOTAL | 14,00",
                "TARJETA | 14,00",
            ],
            "14.00",
        ),
    ],
    ids=["us", "de", "es"],
)
def test_the_total_under_a_tip_is_what_was_charged(rows: list[str], total: str) -> None:
    receipt = extract_receipt(receipt_lines(rows))
    assert receipt.total.value == Decimal(total)


def test_a_line_under_the_tip_that_is_not_due_plus_tip_changes_nothing() -> None:
    rows = ["Joe's Diner", "Springfield, IL 62701", "Subtotal | 35.48", "Tax | 3.19",
            "Amount Due | 38.67", "Tip: | 7.00", "Total: | 44.00"]  # fmt: skip
    assert extract_receipt(receipt_lines(rows)).total.value == Decimal("38.67")
