"""Run the real local pipeline over labelled samples (intake → OCR → extract → checks) and score it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from receiptflow.errors import FileReadError, ReceiptflowError
from receiptflow.evaluation.dataset import Sample
from receiptflow.evaluation.scoring import FIELDS, field_matches, predictions
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


def _as_text(value: str | Decimal | None) -> str | None:
    return None if value is None else str(value)


def run_sample(sample: Sample, settings: Settings) -> Outcome:
    """Scan one sample exactly as the pipeline does, timing the whole and the OCR step."""
    from receiptflow.extract.checks import check_receipt
    from receiptflow.intake import load_document
    from receiptflow.providers.local import LocalProvider

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
    preds = predictions(receipt)
    return Outcome(
        sample.key,
        {f: _as_text(p.value) for f, p in preds.items()},
        {f: p.confidence for f, p in preds.items()},
        time.perf_counter() - start,
        ocr_seconds,
    )


_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings
    _worker_settings = settings


def _run_in_worker(sample: Sample) -> Outcome:
    assert _worker_settings is not None, "worker not initialised"
    return run_sample(sample, _worker_settings)


def run_samples(
    samples: Sequence[Sample],
    settings: Settings,
    *,
    workers: int = 2,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Every sample through the pipeline, in ``workers`` processes (1 = in this process)."""
    outcomes: list[Outcome] = []
    if workers <= 1:
        for sample in samples:
            outcomes.append(run_sample(sample, settings))
            if on_done:
                on_done(outcomes[-1])
        return outcomes
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(settings,)) as pool:
        for outcome in pool.map(_run_in_worker, samples):
            outcomes.append(outcome)
            if on_done:
                on_done(outcome)
    return outcomes


@dataclass
class Report:
    """Accuracy, calibration, speed and error examples of one eval run."""

    n: int
    fields: dict[str, float]
    seconds_per_image: float
    ocr_seconds_per_image: float
    wall_seconds: float
    calibration: dict[str, dict[str, Any]]
    errors: dict[str, list[dict[str, Any]]]
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The JSON report."""
        return {
            "n": self.n,
            "fields": self.fields,
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


def build_report(samples: Sequence[Sample], outcomes: Sequence[Outcome], wall_seconds: float) -> Report:
    """Score outcomes against their samples' ground truth (a failed sample is wrong on every field)."""
    truth = {s.key: s.truth for s in samples}
    n = len(outcomes)
    correct = dict.fromkeys(FIELDS, 0)
    high: dict[str, list[bool]] = {f: [] for f in FIELDS}
    low: dict[str, list[bool]] = {f: [] for f in FIELDS}
    scored: dict[str, list[tuple[float, bool]]] = {f: [] for f in FIELDS}
    errors: dict[str, list[dict[str, Any]]] = {f: [] for f in FIELDS}
    failures = []
    for o in outcomes:
        if o.error is not None:
            failures.append({"key": o.key, "code": o.error})
        for f in FIELDS:
            ok = o.error is None and field_matches(f, o.values.get(f), truth[o.key][f])
            correct[f] += ok
            conf = o.confidences.get(f, 0.0)
            (high if conf >= HIGH_CONFIDENCE else low)[f].append(ok)
            scored[f].append((conf, ok))
            if not ok and len(errors[f]) < MAX_ERROR_EXAMPLES:
                errors[f].append(
                    {"key": o.key, "predicted": o.values.get(f), "truth": truth[o.key][f], "confidence": conf}
                )
    return Report(
        n=n,
        fields={f: correct[f] / n if n else 0.0 for f in FIELDS},
        seconds_per_image=sum(o.seconds for o in outcomes) / n if n else 0.0,
        ocr_seconds_per_image=sum(o.ocr_seconds for o in outcomes) / n if n else 0.0,
        wall_seconds=wall_seconds,
        calibration={
            f: {"high": _bucket(high[f]), "low": _bucket(low[f]), "bins": _bins(scored[f])} for f in FIELDS
        },
        errors=errors,
        failures=failures,
    )
