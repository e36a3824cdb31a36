"""The total from evidence that does not depend on the receipt's language.

Every distinct amount printed on the receipt is a candidate. Each is described by features that hold
for receipts anywhere: arithmetic (subtotal + tax … = it, cash − change = it, the items sum to it, a
VAT table's gross column or a net + tax = gross row gives it, two amounts just above add up to it),
layout (how low it is printed, whether it is the largest amount, printed larger than the other rows,
printed more than once, alone on its row or inside a table), and the cue words before it (the cue
table's roles, in any language) plus the rule-based choice of ``totals``. A logistic model over these
features (gradient-boosted trees exported to ``total_ranker.json``, fitted by
``tools/train_extractor.py`` on the development folds of both shared sets and on their other-language
variants) scores the candidates; the best one is the total. Without the model file the rule choice
stands. Inference is plain Python: no learning library at run time.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from receiptflow.extract.layout import Row
from receiptflow.money import Amount

if TYPE_CHECKING:
    from receiptflow.extract.totals import Labelled

FEATURES: tuple[str, ...] = (
    "cue_total",
    "cue_due",
    "cue_sub",
    "cue_tax",
    "cue_paid",
    "cue_change",
    "cue_minor",
    "rule",
    "rule_certainty",
    "after_rounding",
    "last_total",
    "adds_up",
    "is_subtotal",
    "paid_change",
    "chain",
    "row_sum",
    "col_sum",
    "items_sum",
    "repeat",
    "pos",
    "lower_half",
    "largest",
    "rank",
    "height",
    "table_inner",
    "alone",
    "currency",
    "below_sub",
    "ocr",
)
_CENT = Decimal("0.01")
_MINOR = frozenset({"tip", "charge", "discount", "rounding"})


@dataclass(frozen=True)
class Occurrence:
    """One printed amount: where, in which row, and the summary role of the words before it."""

    amount: Amount
    row: Row
    row_amounts: int  # amounts on the same row
    last_in_row: bool
    role: str | None
    strength: float


@dataclass(frozen=True)
class Candidate:
    """A distinct amount of the receipt, its occurrences and its features."""

    value: Decimal
    occurrences: tuple[Occurrence, ...]
    features: Mapping[str, float]

    @property
    def best(self) -> Occurrence:
        """The occurrence to report: the one with the strongest total cue, else the lowest printed."""
        return max(
            self.occurrences, key=lambda o: (o.role == "total", o.strength, o.row.index, o.amount.start)
        )


def _close(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) <= _CENT


def occurrences(
    rows: Sequence[Row], amounts: Sequence[Sequence[Amount]], labelled: Sequence[Labelled]
) -> list[Occurrence]:
    """Every positive amount of the receipt (zero ones when nothing else is printed: a free item) with
    the role its label gave it (None when unlabelled)."""
    roles = {(f.row.index, f.amount.start): f for f in labelled}
    least = Decimal(0) if all(a.value <= 0 for found in amounts for a in found) else Decimal("0.001")
    out = []
    for row, found in zip(rows, amounts, strict=True):
        for i, a in enumerate(found):
            if a.value < least:
                continue
            f = roles.get((row.index, a.start))
            out.append(
                Occurrence(
                    a, row, len(found), i == len(found) - 1, f.label if f else None, f.strength if f else 0.0
                )
            )
    return out


def candidates(
    rows: Sequence[Row],
    amounts: Sequence[Sequence[Amount]],
    labelled: Sequence[Labelled],
    roles: Mapping[str, Labelled | None],
    rule: Labelled | None,
    rule_certainty: float = 0.0,
) -> list[Candidate]:
    """The receipt's distinct amounts (and the rule's choice when it is not printed as such), each with
    its features."""
    occ = occurrences(rows, amounts, labelled)
    if rule is not None and rule.amount.value > 0:
        key = (rule.row.index, rule.amount.start)
        if not any((o.row.index, o.amount.start) == key and o.amount.value == rule.amount.value for o in occ):
            occ.append(Occurrence(rule.amount, rule.row, 1, True, "total", rule.strength))
    by_value: dict[Decimal, list[Occurrence]] = {}
    for o in occ:
        by_value.setdefault(o.amount.value, []).append(o)
    if not by_value:
        return []
    ctx = _Context(rows, amounts, occ, roles, rule, rule_certainty)
    return [Candidate(v, tuple(os), ctx.features(v, os)) for v, os in by_value.items()]


class _Context:
    """Receipt-wide facts the features of every candidate are computed from."""

    def __init__(
        self,
        rows: Sequence[Row],
        amounts: Sequence[Sequence[Amount]],
        occ: Sequence[Occurrence],
        roles: Mapping[str, Labelled | None],
        rule: Labelled | None,
        rule_certainty: float,
    ) -> None:
        self.rows, self.amounts, self.roles = rows, amounts, roles
        self.rule_value = rule.amount.value if rule is not None else None
        self.rule_certainty = rule_certainty
        rounding = roles.get("rounding")
        self.rounding_row = rounding.row.index if rounding is not None else None
        self.last_total_row = max((o.row.index for o in occ if o.role == "total"), default=-1)
        self.n = len(rows)
        heights = sorted(r.height for r in rows)
        self.median_height = max(heights[len(heights) // 2], 1.0) if heights else 1.0
        countable = [o.amount.value for o in occ if o.role not in ("paid", "change", "ignore")]
        self.top = max(countable, default=Decimal(0))
        self.values = sorted({o.amount.value for o in occ})
        self.sums = self._label_sums()
        self.paid_less_change = self._paid_less_change()
        self.col_sums = self._column_sums()
        self.items = self._items_sums()

    def _v(self, name: str) -> Decimal:
        f = self.roles.get(name)
        return f.amount.value if f is not None else Decimal(0)

    def _label_sums(self) -> list[Decimal]:
        """subtotal + tax + tip + charge − discount (with and without rounding), when something is added."""
        if self.roles.get("subtotal") is None:
            return []
        added = self._v("tax") + self._v("tip") + self._v("charge") - abs(self._v("discount"))
        if added == 0:
            return []
        base = self._v("subtotal") + added
        return [base, base + self._v("rounding")]

    def _paid_less_change(self) -> Decimal | None:
        paid, change = self.roles.get("paid"), self.roles.get("change")
        # change printed as a negative amount ("Rückgeld -15,77") is still change given back
        if paid is None or change is None or change.amount.value == 0:
            return None
        return paid.amount.value - abs(change.amount.value)

    def _column_sums(self) -> list[Decimal]:
        """Sums of the last column of each run of two or more consecutive rows with two or more amounts
        (a VAT table's gross column)."""
        sums: list[Decimal] = []
        run: list[Decimal] = []
        for found in [*self.amounts, []]:
            if len(found) >= 2:
                run.append(found[-1].value)
                continue
            if len(run) >= 2:
                sums.append(sum(run, Decimal(0)))
            run = []
        return sums

    def _items_sums(self) -> dict[int, Decimal]:
        """For each row, the sum of the last amounts of the unlabelled rows above it."""
        from receiptflow.extract.totals import classify

        out: dict[int, Decimal] = {}
        total = Decimal(0)
        for row, found in zip(self.rows, self.amounts, strict=True):
            out[row.index] = total
            if found and found[-1].value > 0 and classify(row.text[: found[0].start]) is None:
                total += found[-1].value
        return out

    def _chain(self, v: Decimal, row_index: int) -> bool:
        """Two amounts on rows just above (within four) add up to ``v``: an unlabelled subtotal + tax."""
        above = [
            a.value
            for r in range(max(0, row_index - 4), row_index)
            for a in self.amounts[r]
            if 0 < a.value < v
        ]
        return any(_close(a + b, v) for i, a in enumerate(above) for b in above[i + 1 :])

    def features(self, v: Decimal, occ: Sequence[Occurrence]) -> dict[str, float]:
        """The candidate's features (see ``FEATURES``)."""
        labels = {o.role for o in occ}
        total_strengths = [o.strength for o in occ if o.role == "total"]
        sub = self.roles.get("subtotal")
        lowest = max(o.row.index for o in occ)
        pos = lowest / (self.n - 1) if self.n > 1 else 1.0
        return {
            "cue_total": max(total_strengths, default=0.0),
            "cue_due": float(any(s >= 1.3 for s in total_strengths)),
            "cue_sub": float("subtotal" in labels),
            "cue_tax": float("tax" in labels),
            "cue_paid": float("paid" in labels),
            "cue_change": float("change" in labels),
            "cue_minor": float(bool(labels & _MINOR)),
            "rule": float(self.rule_value is not None and v == self.rule_value),
            "rule_certainty": self.rule_certainty if v == self.rule_value else 0.0,
            "after_rounding": float(self.rounding_row is not None and lowest > self.rounding_row),
            "last_total": float(self.last_total_row >= 0 and lowest == self.last_total_row),
            "adds_up": float(any(_close(v, s) for s in self.sums)),
            "is_subtotal": float(sub is not None and v == sub.amount.value),
            "paid_change": float(self.paid_less_change is not None and _close(v, self.paid_less_change)),
            "chain": float(any(self._chain(v, o.row.index) for o in occ)),
            "row_sum": float(any(self._row_sum(o) for o in occ)),
            "col_sum": float(any(_close(v, s) for s in self.col_sums)),
            "items_sum": float(any(_close(v, self.items.get(o.row.index, Decimal(-1))) for o in occ)),
            "repeat": float(min(len({o.row.index for o in occ}) - 1, 3)),
            "pos": pos,
            "lower_half": float(pos >= 0.5),
            "largest": float(v >= self.top),
            "rank": sum(x < v for x in self.values) / max(len(self.values) - 1, 1),
            "height": min(max(o.row.height for o in occ) / self.median_height, 3.0),
            "table_inner": float(all(o.row_amounts >= 2 and not o.last_in_row for o in occ)),
            "alone": float(any(o.row_amounts == 1 and not _has_letters(o.row.text) for o in occ)),
            "currency": float(any(o.amount.currency for o in occ)),
            "below_sub": float(sub is not None and lowest > sub.row.index),
            "ocr": max(min((s.confidence for s in o.row.segments), default=1.0) for o in occ),
        }

    def _row_sum(self, o: Occurrence) -> bool:
        """``o`` ends a row of three or more amounts whose two before it add up to it (net + tax = gross)."""
        found = self.amounts[o.row.index]
        if len(found) < 3 or not o.last_in_row:
            return False
        a, b = found[-3].value, found[-2].value
        return _close(a + b, o.amount.value)


def _has_letters(text: str) -> bool:
    return sum(c.isalpha() for c in text) >= 2


@dataclass(frozen=True)
class Model:
    """Gradient-boosted trees over ``FEATURES``: ``init`` plus ``rate`` × the leaf value each tree gives.
    A tree is a list of nodes ``[feature, threshold, left, right, value]`` (feature -1: a leaf)."""

    features: tuple[str, ...]
    init: float
    rate: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]

    def raw(self, features: Mapping[str, float]) -> float:
        """The log-odds that a candidate with these features is the total."""
        x = [features.get(name, 0.0) for name in self.features]
        z = self.init
        for tree in self.trees:
            node = tree[0]
            while node[0] >= 0:
                node = tree[node[2] if x[node[0]] <= node[1] else node[3]]
            z += self.rate * node[4]
        return z

    def to_json(self) -> dict[str, Any]:
        """The JSON form (``load_model`` reads it back)."""
        return {
            "features": list(self.features),
            "init": self.init,
            "rate": self.rate,
            "trees": [[list(n) for n in t] for t in self.trees],
        }


def load_model(data: Mapping[str, object]) -> Model:
    """A model from its JSON form."""
    trees = data["trees"]
    assert isinstance(trees, list)
    return Model(
        features=tuple(str(f) for f in data["features"]),  # type: ignore[attr-defined]
        init=float(data["init"]),  # type: ignore[arg-type]
        rate=float(data["rate"]),  # type: ignore[arg-type]
        trees=tuple(
            tuple((int(f), float(t), int(lo), int(hi), float(v)) for f, t, lo, hi, v in tree)
            for tree in trees
        ),
    )


_override: list[Model | None] = []


@lru_cache(maxsize=1)
def _shipped() -> Model | None:
    path = resources.files("receiptflow.extract").joinpath("total_ranker.json")
    if not path.is_file():
        return None
    return load_model(json.loads(path.read_text(encoding="utf-8")))


def model() -> Model | None:
    """The ranking model in use: the shipped one (``total_ranker.json``), or one set by
    ``use_model`` (training); None when there is none."""
    return _override[-1] if _override else _shipped()


@contextmanager
def use_model(m: Model | None) -> Iterator[None]:
    """Rank with ``m`` (None: rules only) inside the block; for fitting and out-of-fold evaluation."""
    _override.append(m)
    try:
        yield
    finally:
        _override.pop()


def score(features: Mapping[str, float], m: Model) -> float:
    """The model's probability that a candidate with these features is the total."""
    z = max(min(m.raw(features), 50.0), -50.0)
    return 1.0 / (1.0 + math.exp(-z))


def ranked(cands: Sequence[Candidate], m: Model) -> list[tuple[float, Candidate]]:
    """Candidates with their scores, best first (ties: the lower printed)."""
    scored = [(score(c.features, m), c) for c in cands]
    return sorted(scored, key=lambda s: (s[0], s[1].best.row.index), reverse=True)
