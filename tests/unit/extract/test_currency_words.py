"""Unit: an ISO currency code that is also a word or an abbreviation (a Turkish street ``Cad.``, a
``MAD HATTER`` cafe, ``TRY OUR``, a spice ``RUB``) names no currency unless it is printed as a code
beside an amount. Receipts written for these tests."""

from __future__ import annotations

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.money import detect_currency

from tests.unit.extract.layouts import receipt_lines


@pytest.mark.parametrize(
    "texts",
    [
        ["Atatürk Cad. No:10 Kadıköy/İSTANBUL"],
        ["MAD HATTER CAFE", "12 Main St"],
        ["TRY OUR NEW LATTE!"],
        ["Sar. Sokak 4"],
        ["usd"],
    ],
)
def test_words_that_spell_a_code_name_no_currency(texts: list[str]) -> None:
    assert detect_currency(texts)[0] is None


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        (["TOTAL 12.00 CAD"], "CAD"),
        (["TOPLAM 452,15 TRY"], "TRY"),
        (["TOTAL MAD 120,00"], "MAD"),
        (["SUMA PLN 31,21"], "PLN"),
        (["ИТОГО 450 РУБ"], "RUB"),
        (["Euro 5,00"], "EUR"),
    ],
)
def test_codes_printed_as_codes_still_count(texts: list[str], code: str) -> None:
    assert detect_currency(texts)[0] == code


def test_a_turkish_receipt_is_not_read_as_canadian() -> None:
    rows: list[str | tuple[str, float]] = [
        ("MİGROS", 40.0),
        "MİGROS TİCARET A.Ş.",
        "Atatürk Cad. No:10 Kadıköy/İSTANBUL",
        "TARİH : 21.09.2026 SAAT : 19:45",
        "EKMEK %1 | *12,50",
        "ÇAY 1KG %1 | *215,00",
        "TOPKDV | *2,25",
        "TOPLAM | *227,50",
        "NAKİT | *250,00",
        "PARA ÜSTÜ | *22,50",
    ]
    receipt = extract_receipt(receipt_lines(rows))
    assert receipt.currency.value != "CAD"
    assert receipt.vendor_name.value == "MİGROS"
