"""P4: the embedded OCR configuration against rapidocr's defaults, on the same labelled images.

Both engines read the same normalised pages (intake as the pipeline does it) in this process, one image
at a time, and the same extractor turns their lines into receipts, scored with the SROIE protocol of
``receiptflow.evaluation``. Ours is ``receiptflow.adapters.ocr.engine.OcrEngine`` as the settings configure
it; the default is a plain ``RapidOCR()`` (angle classifier on, detection limit ``min`` 736, onnxruntime's
own thread count).

Speed is compared as CPU seconds per image (all threads of the process): on a batch the cores are busy,
so the work per image sets throughput. Wall seconds are kept too; one image at a time on an idle machine
a multi-threaded engine looks faster than it is on a batch.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from receiptflow.document import Document, PageImage
from receiptflow.evaluation.dataset import Sample, load_samples
from receiptflow.evaluation.scoring import FIELDS, field_matches, predictions
from receiptflow.models.ocr_lines import OcrLine
from receiptflow.settings import Settings

Reader = Callable[[PageImage, int], list[OcrLine]]


@dataclass(frozen=True)
class EngineFigures:
    """OCR wall and CPU seconds over all images, and the mean field accuracy (0..1) of the receipts."""

    ocr_seconds: float
    cpu_seconds: float
    accuracy: float
    per_field: dict[str, float]


def default_reader() -> Reader:
    """A reader over ``RapidOCR()`` with every default, producing lines like ``OcrEngine.read``."""
    import numpy as np
    from PIL import Image
    from rapidocr import RapidOCR

    engine = RapidOCR()
    logging.getLogger("RapidOCR").setLevel(logging.WARNING)  # quiet per-call INFO lines; no effect on speed

    def read(page: PageImage, page_index: int = 0) -> list[OcrLine]:
        with Image.open(io.BytesIO(page.data)) as image:
            bgr = np.asarray(image.convert("RGB"))[:, :, ::-1]
        out: Any = engine(bgr)
        if out.txts is None or out.boxes is None:
            return []
        lines = []
        for text, quad, score in zip(out.txts, out.boxes, out.scores, strict=True):
            xs, ys = [float(p[0]) for p in quad], [float(p[1]) for p in quad]
            angle = math.degrees(math.atan2(ys[1] - ys[0], xs[1] - xs[0]))
            box = (min(xs), min(ys), max(xs), max(ys))
            lines.append(OcrLine(str(text), box, float(score), page=page_index, angle=angle))
        lines.sort(key=lambda line: (line.y0, line.x0))
        return lines

    return read


def embedded_reader(settings: Settings) -> Reader:
    """A reader over the embedded engine exactly as the local provider configures it."""
    from receiptflow.adapters.ocr.engine import OcrEngine, engine_config

    return OcrEngine(engine_config(settings)).read


def score(read: Reader, docs: Sequence[tuple[Sample, Document]]) -> EngineFigures:
    """OCR every document with ``read`` (timed), extract, and score against the ground truth."""
    from receiptflow.extract import extract_receipt
    from receiptflow.extract.checks import check_receipt

    read(docs[0][1].pages[0], 0)  # warm-up: model load and first-run allocation are not throughput
    ocr_seconds = cpu_seconds = 0.0
    hits = dict.fromkeys(FIELDS, 0)
    for sample, doc in docs:
        start, cpu_start = time.perf_counter(), time.process_time()
        lines = [line for index, page in enumerate(doc.pages) for line in read(page, index)]
        ocr_seconds += time.perf_counter() - start
        cpu_seconds += time.process_time() - cpu_start
        receipt = check_receipt(extract_receipt(lines, page_sizes=[(p.width, p.height) for p in doc.pages]))
        predicted = predictions(receipt)
        for field in FIELDS:
            hits[field] += field_matches(field, predicted[field].value, sample.truth[field])
    per_field = {field: hits[field] / len(docs) for field in FIELDS}
    return EngineFigures(ocr_seconds, cpu_seconds, sum(per_field.values()) / len(FIELDS), per_field)


def compare(dataset: Path, n: int, settings: Settings) -> dict[str, Any]:
    """P4 figures on the first ``n`` labelled images of ``dataset`` (an ``img/`` + ``gt/`` folder)."""
    from receiptflow.intake import load_document

    samples = load_samples(dataset)[:n]
    if not samples:
        raise FileNotFoundError(f"no labelled images in {dataset}")
    docs = [(s, load_document(s.image.read_bytes(), settings=settings)) for s in samples]
    ours = score(embedded_reader(settings), docs)
    default = score(default_reader(), docs)
    return {
        "images": len(docs),
        "ours_ocr_s": ours.ocr_seconds,
        "default_ocr_s": default.ocr_seconds,
        "ours_cpu_s": ours.cpu_seconds,
        "default_cpu_s": default.cpu_seconds,
        "speedup": default.cpu_seconds / ours.cpu_seconds,
        "wall_speedup": default.ocr_seconds / ours.ocr_seconds,
        "ours_accuracy": ours.accuracy,
        "default_accuracy": default.accuracy,
        "accuracy_delta": ours.accuracy - default.accuracy,
        "ours_per_field": ours.per_field,
        "default_per_field": default.per_field,
    }
