"""Run the real local pipeline over labelled samples (intake → OCR → extract → checks) and score it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from receiptflow.errors import FileReadError, ReceiptflowError
from receiptflow.evaluation.dataset import Sample
from receiptflow.evaluation.scoring import FIELDS, SCORES, day_month_swapped, prediction_values, score
from receiptflow.settings import Settings

HIGH_CONFIDENCE = 0.9
MAX_ERROR_EXAMPLES = 5


@dataclass(frozen=True)
class Outcome:
    """One sample through the pipeline: scored values and confidences, timings, or its typed error."""

    key: str
    values: dict[str, str | None]
    confidences: dict[str, float]
    seconds: float
    ocr_seconds: float
    error: str | None = None


def run_sample(sample: Sample, settings: Settings) -> Outcome:
    """Scan one sample exactly as the pipeline does, timing the whole and the OCR step."""
    from receiptflow.adapters.ocr.provider import LocalProvider
    from receiptflow.extract.checks import check_receipt
    from receiptflow.intake import load_document

    provider = LocalProvider(settings)
    start = time.perf_counter()
    ocr_seconds = 0.0
    try:
        try:
            data = sample.image.read_bytes()
        except OSError as e:
            raise FileReadError(f"{sample.image}: {e.strerror}") from e
        doc = load_document(data, settings=settings)
        ocr_start = time.perf_counter()
        lines = provider.read(doc)
        ocr_seconds = time.perf_counter() - ocr_start
        receipt = check_receipt(provider.extract(lines, doc))
    except ReceiptflowError as e:
        return Outcome(sample.key, {}, {}, time.perf_counter() - start, ocr_seconds, error=e.code)
    values, confidences = prediction_values(receipt)
    return Outcome(sample.key, values, confidences, time.perf_counter() - start, ocr_seconds)


_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def _run_in_worker(sample: Sample) -> Outcome:
    assert _worker_settings is not None, "worker not initialised"
    return run_sample(sample, _worker_settings)


def run_sets(
    sets: Sequence[Sequence[Sample]],
    settings: Settings,
    *,
    workers: int = 2,
    on_done: Callable[[int, Outcome], None] | None = None,
) -> list[tuple[list[Outcome], float]]:
    """Every sample of every set through the pipeline, set after set, in ``workers`` processes
    (1 = in this process); per set its outcomes (in sample order) and wall seconds.
    ``on_done(set_index, outcome)`` is called as each sample finishes."""
    results: list[tuple[list[Outcome], float]] = []
    pool = (
        ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(settings,)) if workers > 1 else None
    )
    try:
        for index, samples in enumerate(sets):
            start = time.perf_counter()
            outcomes: list[Outcome] = []
            done = pool.map(_run_in_worker, samples) if pool else (run_sample(s, settings) for s in samples)
            for outcome in done:
                outcomes.append(outcome)
                if on_done:
                    on_done(index, outcome)
            results.append((outcomes, time.perf_counter() - start))
    finally:
        if pool:
            pool.shutdown()
    return results


def run_samples(
    samples: Sequence[Sample],
    settings: Settings,
    *,
    workers: int = 2,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Every sample through the pipeline, in ``workers`` processes (1 = in this process)."""
    callback = (lambda _i, o: on_done(o)) if on_done else None
    return run_sets([samples], settings, workers=workers, on_done=callback)[0][0]


@dataclass
class Report:
    """Accuracy, calibration, speed and error examples of one eval run.

    ``fields`` is the exact-match accuracy of each field over the receipts whose label gives it
    (``scored`` counts them; None when none does); ``lenient`` the same for the lenient scores."""

    n: int
    fields: dict[str, float | None]
    lenient: dict[str, float | None]
    scored: dict[str, int]
    seconds_per_image: float
    ocr_seconds_per_image: float
    wall_seconds: float
    calibration: dict[str, dict[str, Any]]
    errors: dict[str, list[dict[str, Any]]]
    failures: list[dict[str, str]] = field(default_factory=list)
    date_swapped: int = 0

    def to_json(self) -> dict[str, Any]:
        """The JSON report."""
        return {
            "n": self.n,
            "fields": self.fields,
            "lenient": self.lenient,
            "scored": self.scored,
            "seconds_per_image": self.seconds_per_image,
            "ocr_seconds_per_image": self.ocr_seconds_per_image,
            "extract_overhead": (
                (self.seconds_per_image - self.ocr_seconds_per_image) / self.ocr_seconds_per_image
                if self.ocr_seconds_per_image
                else None
            ),
            "wall_seconds": self.wall_seconds,
            "calibration": self.calibration,
            "errors": self.errors,
            "failures": self.failures,
            "date_swapped": self.date_swapped,
        }


CONFIDENCE_BINS: tuple[tuple[float, float], ...] = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 1.01))


def _bucket(hits: list[bool]) -> dict[str, float | int | None]:
    return {"n": len(hits), "accuracy": sum(hits) / len(hits) if hits else None}


def _bins(scored: list[tuple[float, bool]]) -> list[dict[str, float | int | None | str]]:
    """Accuracy per confidence range: a calibrated field is right about as often as its confidence says."""
    out: list[dict[str, float | int | None | str]] = []
    for lo, hi in CONFIDENCE_BINS:
        hits = [ok for conf, ok in scored if lo <= conf < hi]
        out.append({"range": f"{lo:.1f}-{min(hi, 1.0):.1f}", **_bucket(hits)})
    return out


def _truth_shown(sample: Sample, name: str) -> str:
    truth = sample.scored
    if name == "total":
        return " | ".join(str(t) for t in truth.accepted_totals())
    if name == "date" and truth.date_iso:
        return f"{truth.date} ({truth.date_iso})"
    return truth.text(name)


def build_report(samples: Sequence[Sample], outcomes: Sequence[Outcome], wall_seconds: float) -> Report:
    """Score each outcome against its sample (same order); a failed sample is wrong on every field its
    label gives, a field the label leaves out is not scored. ``date_swapped`` counts the wrong dates
    that are the truth with day and month swapped (the locale read otherwise than the label)."""
    hits: dict[str, list[bool]] = {s: [] for s in SCORES}
    scored: dict[str, list[tuple[float, bool]]] = {f: [] for f in FIELDS}
    errors: dict[str, list[dict[str, Any]]] = {f: [] for f in FIELDS}
    failures = []
    swapped = 0
    for sample, o in zip(samples, outcomes, strict=True):
        if o.error is not None:
            failures.append({"key": o.key, "code": o.error})
        results = score(o.values, sample.scored)
        swapped += results["date"] is False and day_month_swapped(
            o.values.get("date_iso"), sample.scored.date_iso
        )
        for name, ok in results.items():
            if ok is None:
                continue
            ok = ok and o.error is None
            hits[name].append(ok)
            if name not in FIELDS:
                continue
            conf = o.confidences.get(name, 0.0)
            scored[name].append((conf, ok))
            if not ok and len(errors[name]) < MAX_ERROR_EXAMPLES:
                predicted = o.values.get(name)
                if name == "date" and o.values.get("date_iso"):
                    predicted = f"{predicted} ({o.values['date_iso']})"
                shown = _truth_shown(sample, name)
                example = {"key": o.key, "predicted": predicted, "truth": shown, "confidence": conf}
                errors[name].append(example)

    def accuracy(name: str) -> float | None:
        return sum(hits[name]) / len(hits[name]) if hits[name] else None

    n = len(outcomes)
    return Report(
        n=n,
        fields={f: accuracy(f) for f in FIELDS},
        lenient={f: accuracy(f"{f}_lenient") for f in ("company", "address")},
        scored={s: len(hits[s]) for s in SCORES},
        seconds_per_image=sum(o.seconds for o in outcomes) / n if n else 0.0,
        ocr_seconds_per_image=sum(o.ocr_seconds for o in outcomes) / n if n else 0.0,
        wall_seconds=wall_seconds,
        calibration={
            f: {
                "high": _bucket([ok for c, ok in scored[f] if c >= HIGH_CONFIDENCE]),
                "low": _bucket([ok for c, ok in scored[f] if c < HIGH_CONFIDENCE]),
                "bins": _bins(scored[f]),
            }
            for f in FIELDS
        },
        errors=errors,
        failures=failures,
        date_swapped=swapped,
    )
