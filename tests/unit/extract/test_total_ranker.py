"""Unit: the evidence each total candidate is ranked on, and the exported tree model."""

from __future__ import annotations

from decimal import Decimal

from receiptflow.extract import total_ranker
from receiptflow.extract.extractor import read_totals
from receiptflow.extract.total_ranker import Candidate, Model, load_model

from tests.unit.extract.layouts import receipt_lines


def _features(rows: list[str | tuple[str, float]]) -> dict[Decimal, dict[str, float]]:
    with total_ranker.use_model(None):
        totals = read_totals(receipt_lines(rows))
    return {c.value: dict(c.features) for c in totals.candidates}


def test_arithmetic_evidence_without_any_known_word() -> None:
    f = _features(
        [
            "Qxa | 3.00",
            "Zvo | 2.00",
            "Wym | 5.00",
            "Jik | 0.40",
            ("Kop | 5.40", 36),
            "Vur | 10.00",
            "Yat | 4.60",
            "5.40",
        ]
    )
    top = f[Decimal("5.40")]
    assert top["chain"] == 1.0  # 5.00 + 0.40 just above
    assert top["items_sum"] == 0.0
    assert f[Decimal("5.00")]["items_sum"] == 1.0  # 3.00 + 2.00 above it
    assert top["repeat"] == 1.0  # printed twice
    assert top["height"] > 1.3  # printed larger
    assert top["cue_total"] == 0.0 and top["rule"] == 0.0
    assert f[Decimal("10.00")]["largest"] == 1.0


def test_vat_table_rows_and_columns() -> None:
    f = _features(
        [
            "Brot | 10,70",
            "Wein | 13,53",
            "SUMME | 24,23",
            "A 7% | 10,00 | 0,70 | 10,70",
            "B 19% | 11,37 | 2,16 | 13,53",
        ]
    )
    total = f[Decimal("24.23")]
    assert total["col_sum"] == 1.0  # the gross column adds up to it
    assert total["cue_total"] > 0 and total["rule"] == 1.0
    assert f[Decimal("10.70")]["row_sum"] == 1.0  # net + tax = gross on its table row
    assert f[Decimal("10.00")]["table_inner"] == 1.0


def test_labelled_arithmetic_subtotal_tax_and_cash_change() -> None:
    f = _features(
        [
            "Subtotal | 20.00",
            "Tax | 1.60",
            "Total | 21.60",
            "Cash | 30.00",
            "Change | 8.40",
        ]
    )
    total = f[Decimal("21.60")]
    assert total["adds_up"] == 1.0 and total["paid_change"] == 1.0 and total["below_sub"] == 1.0
    assert f[Decimal("30.00")]["cue_paid"] == 1.0 and f[Decimal("8.40")]["cue_change"] == 1.0


def test_tree_model_round_trips_and_scores() -> None:
    # one stump on "rule" and one on "chain": log-odds init + rate * leaves
    model = Model(
        features=("rule", "chain"),
        init=-2.0,
        rate=0.5,
        trees=(
            ((0, 0.5, 1, 2, 0.0), (-1, 0.0, -1, -1, -1.0), (-1, 0.0, -1, -1, 3.0)),
            ((1, 0.5, 1, 2, 0.0), (-1, 0.0, -1, -1, 0.0), (-1, 0.0, -1, -1, 2.0)),
        ),
    )
    assert model.raw({"rule": 1.0, "chain": 1.0}) == -2.0 + 0.5 * 3.0 + 0.5 * 2.0
    assert model.raw({"rule": 0.0}) == -2.0 - 0.5
    assert load_model(model.to_json()) == model
    cands = [
        Candidate(Decimal("1.00"), (), {"rule": 1.0}),
        Candidate(Decimal("2.00"), (), {"rule": 0.0, "chain": 1.0}),
    ]
    assert total_ranker.score(cands[0].features, model) > total_ranker.score(cands[1].features, model)


def test_without_a_model_the_rules_choose() -> None:
    lines = receipt_lines(["Qxa | 3.00", "TOTAL | 3.00", "Vur | 99.00"])
    with total_ranker.use_model(None):
        totals = read_totals(lines)
    assert totals.total is not None and totals.total.amount.value == Decimal("3.00")
    assert totals.total_by_rules and totals.total_score == 0.0
