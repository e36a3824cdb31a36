"""Calibrated field confidence: a logistic model per field over the evidence the extractor saw.

``calibration.json`` (built by tools/train_extractor.py on the training split, OCR'd end to end) holds
per-field weights; a field's confidence is ``sigmoid(bias + Σ weight·feature)``, so that on validation
a 0.9 means about nine in ten such fields are right. Without weights for a field the extractor's own
cue-based certainty is used.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources

from receiptflow.extract.layout import Row
from receiptflow.extract.lexicon import lexicon

FEATURES: dict[str, tuple[str, ...]] = {
    "company": ("certainty", "legal_suffix", "ocr", "rows", "letters", "known", "margin"),
    "address": ("certainty", "cues", "ocr", "postcode", "rows", "known"),
    "date": ("certainty", "label", "time", "ocr", "rivals"),
    "total": (
        "certainty",
        "ocr",
        "rivals",
        "paid_agrees",
        "sum_agrees",
        "largest",
        "conflicts",
        "score",
        "margin",
        "by_rules",
    ),
}


@lru_cache(maxsize=1)
def _weights() -> dict[str, dict[str, float]]:
    path = resources.files("receiptflow.extract").joinpath("calibration.json")
    if not path.is_file():
        return {}
    data: dict[str, dict[str, float]] = json.loads(path.read_text(encoding="utf-8"))["fields"]
    return data


def calibrated(field: str, features: Mapping[str, float]) -> float:
    """Confidence 0..1 of ``field`` from its evidence (``features['certainty']`` when uncalibrated)."""
    weights = _weights().get(field)
    if not weights:
        return round(min(max(features.get("certainty", 0.0), 0.0), 1.0), 3)
    z = weights.get("bias", 0.0) + sum(
        weights.get(name, 0.0) * features.get(name, 0.0) for name in FEATURES[field]
    )
    return round(1.0 / (1.0 + math.exp(-z)), 3)


def ocr_confidence(rows: Sequence[Row]) -> float:
    """Lowest OCR confidence among the rows' segments (1.0 for no rows)."""
    return min((s.confidence for r in rows for s in r.segments), default=1.0)


def known_share(text: str, words: Mapping[str, int] | None = None) -> float:
    """Share of the words (3+ letters) in ``words`` (default: the shipped training lexicon)."""
    tokens = [w for w in "".join(c if c.isalpha() else " " for c in text.upper()).split() if len(w) >= 3]
    if not tokens:
        return 0.0
    known = lexicon() if words is None else words
    return sum(w in known for w in tokens) / len(tokens)
