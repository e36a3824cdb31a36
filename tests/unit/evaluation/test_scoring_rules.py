"""Unit: scoring a prediction against any labelled set (SROIE keys, WildReceipt labels)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from receiptflow.evaluation.dataset import Sample
from receiptflow.evaluation.runner import Outcome, build_report
from receiptflow.evaluation.scoring import (
    Truth,
    day_month_swapped,
    lenient_text,
    parse_total,
    score,
    truth_from_label,
)

WILD_LABEL = {
    "company": "CaltexCentralMyrtleford",
    "address": "",
    "date": "24/01/2012",
    "date_iso": "2012-01-24",
    "total": "",
    "totals": ["020.44", "7.02"],
    "lines": [],
}


def _values(**kw: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "company": None,
        "address": None,
        "date": None,
        "date_iso": None,
        "total": None,
    }
    return {**base, **kw}


def test_fields_missing_from_the_truth_are_not_scored() -> None:
    result = score(_values(company="Caltex Central Myrtleford"), truth_from_label(WILD_LABEL))
    assert result["address"] is None and result["address_lenient"] is None
    assert result["company"] is False  # exact: the label has no spaces
    assert result["company_lenient"] is True
    assert score(_values(), Truth())["total"] is None


def test_totals_compare_as_numbers_and_any_labelled_total_counts() -> None:
    truth = truth_from_label(WILD_LABEL)
    assert score(_values(total="20.44"), truth)["total"] is True
    assert score(_values(total="7.02"), truth)["total"] is True
    assert score(_values(total="27.46"), truth)["total"] is False
    assert score(_values(), truth)["total"] is False


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("RM 1,234.50", Decimal("1234.50")),
        ("1.129,00 €", Decimal("1129.00")),
        ("24,23", Decimal("24.23")),
        ("1,350", Decimal("1350")),
        ("$8.20", Decimal("8.20")),
        ("-5.00", Decimal("-5.00")),
        ("n/a", None),
    ],
)
def test_parse_total_reads_both_decimal_marks(printed: str, value: Decimal | None) -> None:
    assert parse_total(printed) == value


def test_dates_compare_as_dates_when_the_truth_gives_date_iso() -> None:
    truth = truth_from_label(WILD_LABEL)
    assert score(_values(date="24.01.12", date_iso="2012-01-24"), truth)["date"] is True
    # the printed text alone is not enough when the value is wrong
    assert score(_values(date="24/01/2012", date_iso="2012-02-24"), truth)["date"] is False


def test_dates_without_date_iso_compare_as_printed_ignoring_case_and_spaces() -> None:
    truth = Truth(date="DEC23'14")
    assert score(_values(date="Dec 23'14", date_iso="2014-12-23"), truth)["date"] is True
    assert score(_values(date="DEC 24'14"), truth)["date"] is False
    # the SROIE protocol for the other fields: exact after upper-casing and collapsing spaces
    sroie = Truth(company="MR. D.I.Y. (M) SDN BHD")
    assert score(_values(company="Mr. D.I.Y. (M)  Sdn Bhd"), sroie)["company"] is True
    assert score(_values(company="MR.D.I.Y. (M) SDN BHD"), sroie)["company"] is False
    assert score(_values(company="MR.D.I.Y. (M) SDN BHD"), sroie)["company_lenient"] is True


def test_lenient_company_needs_the_truth_inside_the_prediction() -> None:
    assert lenient_text("Justin’s Roseville Car-Wash!") == "JUSTINSROSEVILLECARWASH"
    truth = Truth(company="TESCO extra")
    assert score(_values(company="TESCO EXTRA  STORE 4021"), truth)["company_lenient"] is True
    assert score(_values(company="TESCO"), truth)["company_lenient"] is False


def test_report_counts_each_field_over_the_receipts_that_label_it() -> None:
    full = Truth(company="A SDN BHD", date="01/02/2018", address="JALAN 1", total="9.00")
    no_date = Truth(company="B", total="5.00")
    samples = [
        Sample("k1", Path("k1.jpg"), {}, full),
        Sample("k2", Path("k2.jpg"), {}, no_date),
        Sample("k3", Path("k3.jpg"), {}, full),
    ]
    outcomes = [
        Outcome(
            "k1", _values(company="A SDN BHD", date="01/02/2018", total="9.00"), {"date": 0.95}, 2.0, 1.5
        ),
        Outcome("k2", _values(company="B", total="5.00"), {}, 1.0, 0.5),
        Outcome("k3", {}, {}, 0.1, 0.0, error="corrupt_image"),
    ]
    report = build_report(samples, outcomes, wall_seconds=3.0).to_json()
    assert report["scored"]["date"] == 2 and report["fields"]["date"] == 0.5
    assert report["scored"]["total"] == 3 and report["fields"]["total"] == pytest.approx(2 / 3)
    assert report["lenient"]["company"] == pytest.approx(2 / 3)
    assert report["calibration"]["date"]["high"] == {"n": 1, "accuracy": 1.0}
    assert report["failures"] == [{"key": "k3", "code": "corrupt_image"}]


def test_swapped_day_and_month_are_told_apart() -> None:
    assert day_month_swapped("2016-12-05", "2016-05-12")
    assert not day_month_swapped("2016-05-12", "2016-05-12")
    assert not day_month_swapped("2016-12-06", "2016-05-12")
    assert not day_month_swapped(None, "2016-05-12")
