"""Unit: SROIE task-3 scoring and the fixed validation split."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from receiptflow.evaluation.dataset import Sample
from receiptflow.evaluation.runner import Outcome, build_report
from receiptflow.evaluation.scoring import field_matches, normalise_text, parse_total
from receiptflow.evaluation.split import VAL_SIZE, select_keys, validation_keys


def test_text_fields_compare_upper_case_with_whitespace_collapsed() -> None:
    assert normalise_text("  Mr. D.I.Y.   (M)  sdn bhd ") == "MR. D.I.Y. (M) SDN BHD"
    assert field_matches("company", "Mr. D.I.Y. (M) Sdn Bhd", "MR. D.I.Y. (M) SDN BHD")
    assert not field_matches("company", "MR.D.I.Y. (M) SDN BHD", "MR. D.I.Y. (M) SDN BHD")
    assert not field_matches("address", None, "JALAN BESAR")
    assert field_matches("date", "25/12/2018", "25/12/2018")


def test_total_compares_as_a_number() -> None:
    assert parse_total("RM 1,234.50") == Decimal("1234.50")
    assert parse_total("$8.20") == Decimal("8.20")
    assert field_matches("total", Decimal("9"), "RM 9.00")
    assert not field_matches("total", Decimal("9.01"), "9.00")
    assert not field_matches("total", None, "9.00")
    assert not field_matches("total", Decimal("0"), "")


def test_validation_split_is_fixed_and_disjoint() -> None:
    keys = [f"{i:03d}" for i in range(200)]
    val = validation_keys(keys)
    assert len(val) == VAL_SIZE
    assert val == validation_keys(list(reversed(keys)))  # order does not matter
    everything = keys + ["900", "901"]  # keys without images are always training
    train = select_keys(everything, keys, "train")
    assert set(train).isdisjoint(val) and {"900", "901"} <= set(train)
    assert sorted(select_keys(everything, keys, "val")) == sorted(val)
    assert select_keys(everything, keys, "all") == sorted(everything)


def test_report_counts_failures_as_wrong_and_buckets_confidence() -> None:
    truth = {"company": "A SDN BHD", "date": "01/02/2018", "address": "JALAN 1", "total": "9.00"}
    samples = [Sample("k1", Path("k1.jpg"), truth), Sample("k2", Path("k2.jpg"), truth)]
    outcomes = [
        Outcome(
            "k1",
            {"company": "A SDN BHD", "date": "01/02/2018", "address": "JALAN 2", "total": "9.00"},
            {"company": 0.95, "date": 0.95, "address": 0.95, "total": 0.5},
            seconds=2.0,
            ocr_seconds=1.5,
        ),
        Outcome("k2", {}, {}, seconds=0.1, ocr_seconds=0.0, error="corrupt_image"),
    ]
    report = build_report(samples, outcomes, wall_seconds=2.5).to_json()
    assert report["n"] == 2
    assert report["fields"] == {"company": 0.5, "date": 0.5, "address": 0.0, "total": 0.5}
    assert report["calibration"]["address"]["high"] == {"n": 1, "accuracy": 0.0}
    assert report["calibration"]["total"]["low"] == {"n": 2, "accuracy": 0.5}
    assert report["errors"]["address"][0]["predicted"] == "JALAN 2"
    assert report["failures"] == [{"key": "k2", "code": "corrupt_image"}]
    assert report["seconds_per_image"] == 1.05
