"""Unit: amounts and currencies in every printed convention (receiptflow.money)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from receiptflow.money import (
    COMMA,
    DOT,
    Convention,
    currency_of,
    detect_currency,
    find_amounts,
    has_currency,
    infer_convention,
    parse_amount,
)

YEN = Convention(".", 0)
RUPIAH = Convention(",", 0)


@pytest.mark.parametrize(
    ("text", "convention", "values", "currency"),
    [
        # decimal point, thousands commas / apostrophes
        ("Total $1,810.46", DOT, ["1810.46"], "USD"),
        ("RM 1,234.50 SR", DOT, ["1234.50"], "MYR"),
        ("CHF 1'129.00", DOT, ["1129.00"], "CHF"),
        ("Total ₹1,129.00", DOT, ["1129.00"], "INR"),
        ("Amount Due £12.40", DOT, ["12.40"], "GBP"),
        # decimal comma, thousands dots / spaces, currency glued before or after
        ("ZU ZAHLEN EURO 24,23", COMMA, ["24.23"], "EUR"),
        ("Summe 1.129,00 €", COMMA, ["1129.00"], "EUR"),
        ("SUMA PLN 1 129,00", COMMA, ["1129.00"], "PLN"),
        ("Razem 12,50zł", COMMA, ["12.50"], "PLN"),
        ("Celkem 129,00 Kč", COMMA, ["129.00"], "CZK"),
        ("TOPLAM ₺1.129,00", COMMA, ["1129.00"], "TRY"),
        ("TOPLAM 45,90 TL", COMMA, ["45.90"], "TRY"),
        ("Итого 1 129,00 ₽", COMMA, ["1129.00"], "RUB"),
        ("Сума 45,00 грн", COMMA, ["45.00"], "UAH"),
        ("ОБЩО 12,50 лв", COMMA, ["12.50"], "BGN"),
        ("Summa 125,00 kr", COMMA, ["125.00"], "SEK"),
        ("EUR24,23", COMMA, ["24.23"], "EUR"),
        ("PLN12.50", DOT, ["12.50"], "PLN"),
        # a comma receipt whose comma OCR read as a point
        ("Brot 2.49", COMMA, ["2.49"], None),
        # Thai digits and the baht sign
        ("รวม ฿๑๒๕.๐๐", DOT, ["125.00"], "THB"),
        # whole amounts, negatives
        ("Bier 12,-", COMMA, ["12.00"], None),
        ("Rabatt 1,50-", COMMA, ["-1.50"], None),
        ("Discount (2.00)", DOT, ["-2.00"], None),
        ("Rounding Adj -0.02", DOT, ["-0.02"], None),
        ("Coupon −3.29", DOT, ["-3.29"], None),
        ("Voucher -RM 5.00", DOT, ["-5.00"], "MYR"),
        # currencies without minor units
        ("合計 ¥1,280", YEN, ["1280"], "JPY"),
        ("Total Rp 12.500", RUPIAH, ["12500"], "IDR"),
        # OCR slips
        ("1O.5O", DOT, ["10.50"], None),
        ("TOTAL RM5:00", DOT, ["5.00"], "MYR"),
        # ... but a currency code glued to the digits is no misread digits ("USD" is not "500")
        ("Total USD12.50", DOT, ["12.50"], "USD"),
        ("SGD5.00", DOT, ["5.00"], "SGD"),
    ],
)
def test_find_amounts_in_every_convention(
    text: str, convention: Convention, values: list[str], currency: str | None
) -> None:
    found = find_amounts(text, convention)
    assert [a.value for a in found] == [Decimal(v) for v in values]
    assert found[-1].currency == currency
    # the printed span is part of the text
    assert all(text[a.start : a.end].strip() == a.text for a in found)


@pytest.mark.parametrize(
    ("text", "convention"),
    [
        ("MwSt 19,00 %", COMMA),  # a rate, not money
        ("Datum 12.03.2019", COMMA),  # a date
        ("Datum 12.03.19", DOT),
        ("NO.53 55,57 & 59, JALAN SAGU 18", DOT),  # house numbers
        ("Unit L2.03, Nu Sentral", DOT),  # a code glued to letters
        ("Bon 4711", YEN),  # a whole number without a currency
        ("Tel 12.500", DOT),  # a thousands dot is not a decimal point
    ],
)
def test_numbers_that_are_not_money(text: str, convention: Convention) -> None:
    assert find_amounts(text, convention) == []


def test_amounts_on_a_row_keep_their_order_and_positions() -> None:
    found = find_amounts("2 x 1,29 2,58 A", COMMA)
    assert [a.value for a in found] == [Decimal("1.29"), Decimal("2.58")]
    assert [a.text for a in found] == ["1,29", "2,58"]


@pytest.mark.parametrize(
    ("texts", "currency", "expected"),
    [
        (["Brot 2,49 A", "Milch 1,19 A", "SUMME 3,68"], None, COMMA),  # German receipt, no currency
        (["Apples 2.49", "TOTAL 2.49"], None, DOT),
        # thousands groups are the strongest evidence, over a stray comma pair in an address
        (["NO 55,57 JALAN", "NO 12,14 JALAN", "TOTAL 1,129.00"], None, DOT),
        (["Ul. Polna 12,14", "Razem 1.129,00", "Gotówka 1.200,00"], None, COMMA),
        (["TOTAL 9.00", "NO 55,57 JALAN"], "MYR", DOT),
        # a tie (or nothing to go on) is settled by the currency's custom
        (["A 2,50", "B 2.50"], "EUR", COMMA),
        (["A 2,50", "B 2.50"], "USD", DOT),
        (["Kaffee", "Summe"], "PLN", COMMA),
        # dates and times are not evidence
        (["12.03.2019 14.30", "Summe 4,80"], None, COMMA),
        # no minor unit
        (["合計 ¥1,280", "お預り ¥2,000"], "JPY", YEN),
        (["Total Rp 12.500"], "IDR", RUPIAH),
        # whole-euro amounts
        (["Eintritt 12,-", "Summe 24,-"], None, COMMA),
    ],
)
def test_infer_convention_from_the_whole_receipt(
    texts: list[str], currency: str | None, expected: Convention
) -> None:
    assert infer_convention(texts, currency) == expected


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$899.99 S", Decimal("899.99")),
        ("$1,350.00", Decimal("1350.00")),
        ("1.350,00 €", Decimal("1350.00")),
        ("1 129,00 zł", Decimal("1129.00")),
        ("1'129.50", Decimal("1129.50")),
        ("12,50-", Decimal("-12.50")),
        ("(12.00)", Decimal("-12.00")),
        ("−4.10", Decimal("-4.10")),
        ("1,350", Decimal("1350")),
        ("๑๒.๕๐", Decimal("12.50")),
        ("no amount", None),
    ],
)
def test_parse_amount_of_a_field_value(text: str, amount: Decimal | None) -> None:
    assert parse_amount(text) == amount


def test_parse_amount_follows_a_known_convention() -> None:
    assert parse_amount("1.350", RUPIAH) == Decimal("1350")
    assert parse_amount("12,50", COMMA) == Decimal("12.50")
    assert parse_amount("12,500", DOT) == Decimal("12500")


def test_detect_currency_votes_and_glued_tokens() -> None:
    assert detect_currency(["SUMA PLN 24,23", "Gotówka 30,00zł"])[0] == "PLN"
    assert detect_currency(["Celkem 129,00Kč"])[:2] == ("CZK", "Kč")
    assert detect_currency(["TOTAL 9.00"]) == (None, None, 0.0)
    # "$" after a word: not the Brazilian real "R$"
    assert detect_currency(["Bring this back for$2 off"])[0] == "USD"
    # "$" on a receipt that names its dollar
    assert detect_currency(["TOTAL S$ 12.00", "CASH $20.00"])[0] == "SGD"
    # short abbreviations count only beside an amount
    assert detect_currency(["KRAFT HEINZ", "RS AUTOMOTIVE"]) == (None, None, 0.0)
    assert detect_currency(["Summa 125,00 kr"])[0] == "SEK"


def test_currency_of_and_has_currency() -> None:
    assert currency_of("12,00 €") == "EUR"
    assert currency_of("Total SGD 4") == "SGD"
    assert currency_of("45,90 TL") == "TRY"
    assert currency_of("12.00") is None
    assert has_currency("ZU ZAHLEN EURO")
    assert not has_currency("ZU ZAHLEN")
