"""Unit: amounts, currencies, dates and times as printed (no OCR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from receiptflow.extract.dates import find_dates, find_times
from receiptflow.money import COMMA, DOT, detect_currency, find_amounts, fix_digits, infer_convention


@pytest.mark.parametrize(
    ("text", "values", "currency"),
    [
        ("TOTAL: 9.00", ["9.00"], None),
        ("RM 1,234.50 SR", ["1234.50"], "MYR"),
        ("9.00 S", ["9.00"], None),  # tax flag after the amount
        ("Total $1,810.46", ["1810.46"], "USD"),
        ("1O.5O", ["10.50"], None),  # O read for 0
        ("TOTAL RM5:00", ["5.00"], "MYR"),  # colon read for the decimal point
        ("Rounding Adj -0.02", ["-0.02"], None),
        ("x 3 @ 1.20 = 3.60", ["1.20", "3.60"], None),
        ("NO.53 55,57 & 59, JALAN SAGU 18", [], None),  # house numbers are not money
    ],
)
def test_find_amounts(text: str, values: list[str], currency: str | None) -> None:
    found = find_amounts(text)
    assert [a.value for a in found] == [Decimal(v) for v in values]
    if values:
        assert found[-1].currency == currency or found[0].currency == currency


def test_comma_decimal_amounts_only_when_asked() -> None:
    assert find_amounts("Summe 12,50 EUR") == []
    found = find_amounts("Summe 1.234,50 EUR", COMMA)
    assert [(a.value, a.currency) for a in found] == [(Decimal("1234.50"), "EUR")]
    assert infer_convention(["Brot 2,40", "Summe 4,80"], None) == COMMA
    assert infer_convention(["TOTAL 9.00", "NO 55,57 JALAN"], "MYR") == DOT


def test_fix_digits_keeps_positions_and_words() -> None:
    assert fix_digits("TOTAL lO.5O") == "TOTAL 10.50"
    assert fix_digits("SOLD 5.00") == "SOLD 5.00"
    assert len(fix_digits("RM12:30 x")) == len("RM12:30 x")


def test_detect_currency_votes_and_absent() -> None:
    assert detect_currency(["TOTAL RM 9.00", "CASH RM 10.00"])[0] == "MYR"
    assert detect_currency(["Subtotal $1.00", "Tax $0.10"])[:2] == ("USD", "$")
    assert detect_currency(["TOTAL 9.00"]) == (None, None, 0.0)


@pytest.mark.parametrize(
    ("text", "printed", "value"),
    [
        ("25/12/2018 8:13:39 PM", "25/12/2018", dt.date(2018, 12, 25)),
        ("25/12/20188:13:39", "25/12/2018", dt.date(2018, 12, 25)),  # OCR glued date and time
        ("15-01-2019", "15-01-2019", dt.date(2019, 1, 15)),
        ("2018-03-21", "2018-03-21", dt.date(2018, 3, 21)),
        ("DATE:05 MAR 2018 18:24", "05 MAR 2018", dt.date(2018, 3, 5)),
        ("14-03-18", "14-03-18", dt.date(2018, 3, 14)),
        ("OCT 9, 2018", "OCT 9, 2018", dt.date(2018, 10, 9)),
    ],
)
def test_find_dates_formats(text: str, printed: str, value: dt.date) -> None:
    found = find_dates(text)
    assert [(d.text, d.value) for d in found] == [(printed, value)]


def test_numeric_dates_follow_the_locale_and_flag_ambiguity() -> None:
    day_first = find_dates("12/07/2019")[0]
    month_first = find_dates("12/07/2019", month_first=True)[0]
    assert day_first.value == dt.date(2019, 7, 12)
    assert month_first.value == dt.date(2019, 12, 7)
    assert month_first.certainty < find_dates("25/07/2019")[0].certainty
    # the impossible order falls back to the other one
    assert find_dates("07/25/2019")[0].value == dt.date(2019, 7, 25)


def test_codes_and_phone_numbers_are_not_dates() -> None:
    assert find_dates("HD03-04-06 - 5/40/160") == []
    assert find_dates("TEL 03-7 - 15") == []


def test_find_times() -> None:
    assert [(t.text, t.value) for t in find_times("12/07/2019 12:22 PM")] == [("12:22 PM", dt.time(12, 22))]
    assert find_times("8:13:39 PM")[0].value == dt.time(20, 13, 39)
    assert find_times("TOTAL 12.50") == []
