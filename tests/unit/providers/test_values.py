"""Unit: normalisation of printed amounts, dates and times."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from receiptflow.providers.values import clean_text, currency_of, parse_date, parse_money, parse_time


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$899.99 S", Decimal("899.99")),
        ("659.00 Y", Decimal("659.00")),
        ("$1,350.00", Decimal("1350.00")),
        ("$-1,136.16", Decimal("-1136.16")),
        ("(12.00)", Decimal("-12.00")),
        ("1.350,00 €", Decimal("1350.00")),
        ("12,50", Decimal("12.50")),
        ("RM 12.30", Decimal("12.30")),
        ("$", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_money(text: str | None, amount: Decimal | None) -> None:
    assert parse_money(text) == amount


@pytest.mark.parametrize(
    ("text", "code"),
    [("$12.00", "USD"), ("12,00 €", "EUR"), ("RM 3.00", "MYR"), ("Total SGD 4", "SGD"), ("12.00", None)],
)
def test_currency_of(text: str, code: str | None) -> None:
    assert currency_of(text) == code


@pytest.mark.parametrize(
    ("text", "day_first", "date"),
    [
        ("12/07/2019", False, dt.date(2019, 12, 7)),  # US receipt: month first
        ("12/07/2019", True, dt.date(2019, 7, 12)),
        ("13/02/2019", False, dt.date(2019, 2, 13)),  # 13 cannot be a month
        ("01/13/17", True, dt.date(2017, 1, 13)),  # 13 cannot be a month
        ("12 March 2020", False, dt.date(2020, 3, 12)),
        ("Thursday, 26 March 2020", False, dt.date(2020, 3, 26)),
        ("01-Jan-2021", False, dt.date(2021, 1, 1)),
        ("March 12, 2019", False, dt.date(2019, 3, 12)),
        ("2019-12-07", True, dt.date(2019, 12, 7)),
        ("31/02/2019", False, None),
        ("no date here", False, None),
    ],
)
def test_parse_date(text: str, day_first: bool, date: dt.date | None) -> None:
    assert parse_date(text, day_first=day_first) == date


def test_parse_time_and_clean_text() -> None:
    assert parse_time("12:30 PM") == dt.time(12, 30)
    assert parse_time("7:05pm") == dt.time(19, 5)
    assert parse_time("12:01 AM") == dt.time(0, 1)
    assert parse_time("99:99") is None
    assert clean_text("META\n-") == "META"
    assert clean_text("ACP101 Accounting\nPackage") == "ACP101 Accounting Package"
    assert clean_text(" \n ") is None
