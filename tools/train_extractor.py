"""Build the extractor's learned artefacts from the TRAINING split of the shared SROIE data only.

1. ``shared/receiptflow/extract/lexicon.json``: word counts of the training receipts' company names
   and addresses (the extractor repairs OCR slips in address text against it).
2. ``shared/receiptflow/extract/calibration.json``: per-field logistic weights that turn the
   extractor's evidence into a calibrated confidence, fitted on the training images read end to end
   by the local OCR engine, as scanned and in two other readings (downscaled + JPEG; rotated +
   blurred), and on the text lines of the training receipts without images. The OCR output is cached
   beside ``--ocr-cache`` so reruns take seconds (first run about 4 minutes on 2 cores).

Validation keys (``receiptflow.evaluation.split``) are excluded from both.

    .venv/bin/python tools/train_extractor.py [--data ../shared/data/sroie-train] [--ocr-cache PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from receiptflow.document import PageImage
from receiptflow.evaluation.dataset import image_keys
from receiptflow.evaluation.scoring import field_matches, predictions
from receiptflow.evaluation.split import select_keys
from receiptflow.extract.confidence import FEATURES, known_share
from receiptflow.ocr import engine as ocr_engine
from receiptflow.ocr.engine import OcrEngine
from receiptflow.ocr.lines import OcrLine

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "receiptflow" / "extract"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "sroie-train"
WORD = re.compile(r"[A-Z][A-Z']+")
MIN_COUNT = 2


def training_keys(root: Path) -> list[str]:
    """Keys of the training split (every labelled key except the validation ones)."""
    return select_keys([p.stem for p in (root / "gt").glob("*.json")], image_keys(root), "train")


def build_lexicon(root: Path, keys: list[str] | None = None) -> dict[str, int]:
    """Word counts (upper case, seen at least ``MIN_COUNT`` times) over company names and addresses of
    ``keys`` (default: the training split)."""
    counts: Counter[str] = Counter()
    for key in training_keys(root) if keys is None else keys:
        data = json.loads((root / "gt" / f"{key}.json").read_text(encoding="utf-8"))
        for field in ("company", "address"):
            counts.update(WORD.findall(str(data.get(field) or "").upper()))
    return {w: n for w, n in sorted(counts.items()) if n >= MIN_COUNT}


_ENGINES: dict[str, OcrEngine] = {}

# Other readings of the same training images: the same labels under other OCR noise. Calibration
# learns from their errors too (the clean scans leave too few wrong fields to fit on).
READINGS = ("scan", "small", "rotated")


def _augment(data: bytes, reading: str) -> tuple[bytes, int, int]:
    """The image as ``reading`` sees it: as scanned, downscaled to 70 % and saved at JPEG quality 55,
    or rotated by 1.5° and slightly blurred."""
    from PIL import Image, ImageFilter

    with Image.open(io.BytesIO(data)) as im:
        if reading == "scan":
            return data, im.width, im.height
        rgb = im.convert("RGB")
    if reading == "small":
        size = (int(rgb.width * 0.7), int(rgb.height * 0.7))
        rgb, quality = rgb.resize(size, Image.Resampling.BILINEAR), 55
    elif reading == "rotated":
        rotated = rgb.rotate(1.5, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 255, 255))
        rgb, quality = rotated.filter(ImageFilter.GaussianBlur(0.8)), 80
    else:
        raise ValueError(f"unknown reading {reading!r}")
    buf = io.BytesIO()
    rgb.save(buf, "JPEG", quality=quality)
    return buf.getvalue(), rgb.width, rgb.height


def _ocr_one(job: tuple[Path, str]) -> tuple[str, list[list[Any]]]:
    """OCR one image, as ``reading`` sees it, with this worker process's engine."""
    path, reading = job
    engine = _ENGINES.setdefault("engine", OcrEngine())
    data, width, height = _augment(path.read_bytes(), reading)
    lines = engine.read(PageImage(data=data, media_type="image/jpeg", width=width, height=height))
    return path.stem, [[ln.text, list(ln.box), ln.confidence, ln.page, ln.angle] for ln in lines]


def engine_fingerprint() -> str:
    """What the cached OCR output depends on: the engine's parameters (model files by name) and code.
    A cache written under another fingerprint is not reused."""
    params = OcrEngine().describe()
    code = hashlib.sha256(Path(ocr_engine.__file__).read_bytes()).hexdigest()[:16]
    return json.dumps({"params": params, "engine_code": code}, sort_keys=True)


def ocr_training_images(root: Path, cache: Path, reading: str = "scan") -> dict[str, list[list[Any]]]:
    """OCR lines of every training image as ``reading`` sees it, read from ``cache`` (when written by
    the same engine configuration) or computed (2 processes) and saved there."""
    fingerprint = engine_fingerprint()
    data: dict[str, Any] = json.loads(cache.read_text()) if cache.is_file() else {}
    stored: dict[str, Any] = data.get("images", {}) if data.get("engine") == fingerprint else {}
    images = image_keys(root)
    wanted = [images[k] for k in training_keys(root) if k in images]
    missing = [p for p in wanted if p.stem not in stored]
    if missing:
        print(f"OCR of {len(missing)} training images, reading {reading!r} (2 processes)...")
        with ProcessPoolExecutor(2) as pool:
            for key, lines in pool.map(_ocr_one, [(p, reading) for p in missing]):
                stored[key] = {"lines": lines}
        cache.write_text(json.dumps({"engine": fingerprint, "images": stored}))
    return {p.stem: stored[p.stem]["lines"] for p in wanted}


def _lines(raw: list[list[Any]]) -> list[OcrLine]:
    return [OcrLine(r[0], tuple(r[1]), r[2], *(r[3:5])) for r in raw]  # type: ignore[arg-type]


FOLDS = 5


def _fold(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % FOLDS


# Dates and totals rarely fail on the OCR'd training images, too rarely to learn from; their
# calibration also uses the ground-truth text lines of the training receipts that have no image.
# Vendor and address errors are mostly OCR errors, so they are calibrated on OCR output only.
FIELDS_FROM_TEXT_LINES = ("date", "total")


def _text_lines(root: Path, key: str) -> list[list[Any]]:
    gt = json.loads((root / "gt" / f"{key}.json").read_text(encoding="utf-8"))
    return [[ln["text"], ln["bbox_xyxy"], 1.0, 0, 0.0] for ln in gt.get("lines", [])]


def fit_calibration(
    root: Path, readings: Sequence[dict[str, list[list[Any]]]]
) -> dict[str, dict[str, float]]:
    """Per-field logistic weights: P(field right | evidence) on training receipts."""
    from receiptflow.extract.extractor import read_receipt
    from sklearn.linear_model import LogisticRegression

    rows: dict[str, tuple[list[list[float]], list[int]]] = {f: ([], []) for f in FEATURES}
    keys = training_keys(root)
    examples = [(key, raw, True) for ocr in readings for key, raw in sorted(ocr.items())]
    imaged = {key for ocr in readings for key in ocr}
    fold_lexicons = [build_lexicon(root, [k for k in keys if _fold(k) != f]) for f in range(FOLDS)]
    examples += [(key, _text_lines(root, key), False) for key in keys if key not in imaged]
    for key, raw, from_image in examples:
        truth = json.loads((root / "gt" / f"{key}.json").read_text(encoding="utf-8"))
        receipt, evidence = read_receipt(_lines(raw))
        preds = predictions(receipt)
        # "known" must not see the receipt's own label: recompute it with a lexicon from the other folds
        fold_words = fold_lexicons[_fold(key)]
        for field, name in (("company", "vendor_name"), ("address", "vendor_address")):
            if field in evidence:
                evidence[field]["known"] = known_share(getattr(receipt, name).text or "", fold_words)
        for field, names in FEATURES.items():
            if field not in evidence or not (from_image or field in FIELDS_FROM_TEXT_LINES):
                continue
            xs, ys = rows[field]
            xs.append([evidence[field][n] for n in names])
            ys.append(int(field_matches(field, preds[field].value, str(truth.get(field) or ""))))
    weights: dict[str, dict[str, float]] = {}
    for field, (xs, ys) in rows.items():
        if len(set(ys)) < 2:
            continue
        model = LogisticRegression(C=1.0, max_iter=1000).fit(xs, ys)
        weights[field] = {"bias": float(model.intercept_[0])}
        weights[field].update({n: float(w) for n, w in zip(FEATURES[field], model.coef_[0], strict=True)})
        print(f"{field}: n={len(ys)} right={sum(ys)} weights={weights[field]}")
    return weights


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--ocr-cache",
        type=Path,
        default=Path("/tmp/receiptflow-train-ocr.json"),
        help="OCR cache of the scans; the other readings go beside it (-small, -rotated)",
    )
    args = parser.parse_args(argv[1:])

    from receiptflow.extract.lexicon import lexicon

    words = build_lexicon(args.data)
    (PACKAGE / "lexicon.json").write_text(
        json.dumps({"source": "sroie-train, training split", "words": words})
    )
    lexicon.cache_clear()
    print(f"lexicon: {len(words)} words")

    calibration = PACKAGE / "calibration.json"
    calibration.unlink(missing_ok=True)  # evidence is gathered uncalibrated
    cache: Path = args.ocr_cache
    readings = [
        ocr_training_images(
            args.data, cache if r == "scan" else cache.with_name(f"{cache.stem}-{r}{cache.suffix}"), r
        )
        for r in READINGS
    ]
    weights = fit_calibration(args.data, readings)
    calibration.write_text(json.dumps({"source": "sroie-train, training split", "fields": weights}, indent=1))
    print(f"calibration written to {calibration}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
