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


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        (["Woolworths", "Sydney NSW 2000", "ABN 88 000 014 675", "TOTAL | $23.40"], "AUD"),
        (["OXXO", "RFC CCO8605231N4", "Av. Insurgentes Sur 1602, CDMX", "TOTAL | $47.50"], "MXN"),
        (["Tim Hortons", "Toronto ON M5V 2T6", "HST 13% | $1.30", "TOTAL | $11.30"], "CAD"),
        (["Ramen Keisuke", "Singapore 079027", "PAY THIS AMOUNT: | $50.25"], "SGD"),
        # a US state and ZIP keep the dollar a US one, whatever else is printed (PST read for 1ST)
        (["RITE AID", "PROVO, UT 84601", "PST 5.8% | $0.82", "TOTAL | $14.81"], "USD"),
        (["TARGET", "Brooklyn, NY 11217", "TOTAL | $25.66"], "USD"),
        (["TARGET", "TOTAL | USD 25.66", "ABN 88 000 014 675"], "USD"),  # a printed code is kept
    ],
    ids=["au", "mx", "ca", "sg", "us-zip", "us", "usd-printed"],
)
def test_a_bare_dollar_sign_is_the_dollar_of_the_receipts_country(rows: list[str], code: str) -> None:
    assert extract_receipt(receipt_lines(rows)).currency.value == code


@pytest.mark.parametrize(
    ("rows", "code"),
    [
        (["netto", "Vesterbrogade 100, 1620 København V", "I ALT | 82,95", "Dankort | 82,95"], "DKK"),
        (["ICA Nära", "Götgatan 40, 118 26 Stockholm", "Att betala | 127,70", "Kort | 127,70"], "SEK"),
        (["REMA 1000", "Johansgate 18", "Å BETALE | 249,00", "herav MVA | 49,80"], "NOK"),
        (["HOME HOUSE", "London W1H 9HF", "VAT Reg 123 4567 89", "TOTAL | 71.35"], "GBP"),
        (["Joe's Diner", "Springfield, IL 62701", "Total: | 45.67"], "USD"),
    ],
    ids=["dk", "se", "no", "uk", "us"],
)
def test_a_receipt_that_prints_no_currency_gets_its_countrys(rows: list[str], code: str) -> None:
    assert extract_receipt(receipt_lines(rows)).currency.value == code


def test_a_malaysian_postcode_after_two_letters_is_no_us_address() -> None:
    assert (
        extract_receipt(receipt_lines(["KEDAI RUNCIT", "KL 50450", "TOTAL | 12.00"])).currency.value is None
    )
