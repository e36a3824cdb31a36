"""Unit: the cross-validation folds of the accuracy protocol."""

from __future__ import annotations

import hashlib

import pytest
from receiptflow.evaluation.split import fold_of, parse_folds, set_name_of


def test_fold_follows_the_protocol_formula() -> None:
    for key in ("000", "wr_003", "X51005200931"):
        digest = hashlib.sha256(f"receiptflow-fold:wild:{key}".encode()).hexdigest()
        assert fold_of("wild", key) == int(digest, 16) % 5
    # the set name is part of the rule: the same key may fall in another fold of another set
    keys = [f"{i:03d}" for i in range(50)]
    assert [fold_of("sroie", k) for k in keys] != [fold_of("wild", k) for k in keys]


def test_folds_split_a_set_into_five_parts_of_similar_size() -> None:
    counts = [0] * 5
    for i in range(1000):
        counts[fold_of("wild", f"wr_{i:03d}")] += 1
    assert all(160 < c < 240 for c in counts)


@pytest.mark.parametrize(
    ("spec", "folds"), [("4", {4}), ("0-3", {0, 1, 2, 3}), ("0,2", {0, 2}), ("1-1", {1})]
)
def test_parse_folds(spec: str, folds: set[int]) -> None:
    assert parse_folds(spec) == folds


@pytest.mark.parametrize("spec", ["5", "3-1", "x", "0-", ""])
def test_parse_folds_rejects_bad_lists(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_folds(spec)


def test_set_name_from_the_folder() -> None:
    assert set_name_of("wildreceipt-dev") == "wild"
    assert set_name_of("sroie-train") == "sroie"
    assert set_name_of("German-Scans") == "german-scans"
