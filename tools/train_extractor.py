"""Build the extractor's learned artefacts from the DEVELOPMENT folds of the shared data only.

Protocol (docs/accuracy.md): fold(set, key) = sha256("receiptflow-fold:{set}:{key}") % 5; folds 0-3 are
for development, fold 4 is held out, and so is the SROIE validation split. Nothing here reads a held-out
receipt. Artefacts, all in ``shared/receiptflow/extract/``:

1. ``lexicon.json``: word counts of the SROIE development receipts' company names and addresses.
2. ``total_ranker.json``: gradient-boosted trees that rank a receipt's amounts as the total
   (``extract/total_ranker.py``), fitted on every development receipt of both sets (SROIE and
   WildReceipt), read from their labelled text lines and from OCR, each also in its other-language
   variants (``tools/receipt_variants.py``: cue words in another language with decimal commas, and
   all words made up). Exported as plain JSON: no learning library at run time.
3. ``calibration.json``: per-field logistic weights turning the extractor's evidence into a calibrated
   confidence. Company and address: SROIE OCR readings (scans, downscaled + JPEG, rotated + blurred);
   date: also the SROIE text lines; total: every reading, text line and variant of both sets, with the
   ranker of the other development folds (out of fold), so the confidence is fitted on rankings made
   without the receipt's own label.

OCR output is cached per image under ``--ocr-dir`` (``<dir>/<set>[-<reading>]/<key>.json``, the layout
of the shared OCR cache; missing files are computed with 2 processes and written there). The engine's
fingerprint is kept in ``<dir>/engine.json``; a directory written by another engine configuration is
refused.

    .venv/bin/python -m tools.train_extractor [--data-dir ../shared/data] [--ocr-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from receiptflow.adapters.ocr import engine as ocr_engine
from receiptflow.adapters.ocr.engine import EngineConfig, OcrEngine
from receiptflow.document import PageImage
from receiptflow.evaluation.scoring import field_matches, parse_total, predictions
from receiptflow.evaluation.split import validation_keys
from receiptflow.extract.confidence import FEATURES, known_share
from receiptflow.models.ocr_lines import OcrLine

from tools import receipt_variants

PACKAGE = Path(__file__).resolve().parents[1] / "shared" / "receiptflow" / "extract"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_OCR_DIR = Path("/tmp/receiptflow-train-ocr")
DATASETS = {"sroie": "sroie-train", "wild": "wildreceipt-dev"}
WORD = re.compile(r"[A-Z][A-Z']+")
MIN_COUNT = 2
FOLDS = 5
HELD_OUT_FOLD = 4
# Other readings of the SROIE development scans: the same labels under other OCR noise. Calibration
# learns from their errors too (the clean scans leave too few wrong fields to fit on).
READINGS = {"sroie": ("scan", "small", "rotated"), "wild": ("scan",)}
RANKER = {"n_estimators": 100, "max_depth": 3, "subsample": 0.8, "learning_rate": 0.1, "random_state": 0}


def fold(dataset: str, key: str) -> int:
    """The protocol's fold (0-4) of ``key`` in ``dataset`` ("sroie" or "wild")."""
    return int(hashlib.sha256(f"receiptflow-fold:{dataset}:{key}".encode()).hexdigest(), 16) % FOLDS


def dev_keys(data_dir: Path, dataset: str) -> list[str]:
    """Development keys of ``dataset``: not in fold 4 and (SROIE) not in the validation split."""
    root = data_dir / DATASETS[dataset]
    keys = sorted(p.stem for p in (root / "gt").glob("*.json"))
    if dataset == "sroie":
        val = validation_keys(p.stem for p in (root / "img").glob("*.jpg"))
        keys = [k for k in keys if k not in val]
    return [k for k in keys if fold(dataset, k) != HELD_OUT_FOLD]


def truth_of(data_dir: Path, dataset: str, key: str) -> dict[str, Any]:
    """The ground-truth JSON of one receipt."""
    data: dict[str, Any] = json.loads(
        (data_dir / DATASETS[dataset] / "gt" / f"{key}.json").read_text(encoding="utf-8")
    )
    return data


def build_lexicon(data_dir: Path, keys: Sequence[str]) -> dict[str, int]:
    """Word counts (upper case, seen at least ``MIN_COUNT`` times) over the company names and addresses
    of the SROIE receipts ``keys``."""
    counts: Counter[str] = Counter()
    for key in keys:
        data = truth_of(data_dir, "sroie", key)
        for field in ("company", "address"):
            counts.update(WORD.findall(str(data.get(field) or "").upper()))
    return {w: n for w, n in sorted(counts.items()) if n >= MIN_COUNT}


# --- OCR of the development images, cached per file ---------------------------------------------

_ENGINES: dict[str, OcrEngine] = {}


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


def _ocr_one(job: tuple[Path, str, Path]) -> None:
    """OCR one image as ``reading`` sees it (through the real intake for scans) and write its cache file."""
    path, reading, out = job
    engine = _ENGINES.setdefault("engine", OcrEngine(EngineConfig(threads=1)))
    if reading == "scan":
        from receiptflow.intake import load_document
        from receiptflow.settings import Settings

        doc = load_document(path.read_bytes(), settings=Settings())
        pages = list(doc.pages)
    else:
        data, width, height = _augment(path.read_bytes(), reading)
        pages = [PageImage(data=data, media_type="image/jpeg", width=width, height=height)]
    lines = [ln for i, page in enumerate(pages) for ln in engine.read(page, page_index=i)]
    record = {
        "key": path.stem,
        "pages": [[p.width, p.height] for p in pages],
        "lines": [[ln.text, list(ln.box), ln.confidence, ln.page, ln.angle] for ln in lines],
    }
    out.write_text(json.dumps(record))


def engine_fingerprint() -> str:
    """What the cached OCR output depends on: the engine's parameters (model files by name) and code.
    A cache written under another fingerprint is not reused."""
    params = OcrEngine().describe()
    code = hashlib.sha256(Path(ocr_engine.__file__).read_bytes()).hexdigest()[:16]
    return json.dumps({"params": params, "engine_code": code}, sort_keys=True)


def ensure_ocr(data_dir: Path, ocr_dir: Path) -> None:
    """Write the OCR cache file of every development image and reading that lacks one."""
    stamp = ocr_dir / "engine.json"
    fingerprint = engine_fingerprint()
    if stamp.is_file() and stamp.read_text() != fingerprint:
        raise SystemExit(f"{ocr_dir} was written by another OCR engine configuration: use another --ocr-dir")
    ocr_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    jobs = []
    for dataset, readings in READINGS.items():
        images = data_dir / DATASETS[dataset] / "img"
        for reading in readings:
            folder = ocr_dir / (dataset if reading == "scan" else f"{dataset}-{reading}")
            folder.mkdir(exist_ok=True)
            for key in dev_keys(data_dir, dataset):
                if (images / f"{key}.jpg").is_file() and not (folder / f"{key}.json").is_file():
                    jobs.append((images / f"{key}.jpg", reading, folder / f"{key}.json"))
    if jobs:
        print(f"OCR of {len(jobs)} development images and readings (2 processes)...")
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(_ocr_one, jobs, chunksize=4))


# --- the development examples -------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One reading of one development receipt."""

    dataset: str
    key: str
    source: str  # "gt", "scan", "small", "rotated", each maybe "+foreign" / "+unknown"
    lines: list[OcrLine]
    truth: dict[str, Any]

    @property
    def fold(self) -> int:
        return fold(self.dataset, self.key)

    @property
    def from_image(self) -> bool:
        return not self.source.startswith("gt")


def _cached_lines(path: Path) -> list[OcrLine] | None:
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if "lines" not in data:
        return None  # the image failed to read
    return [OcrLine(r[0], (r[1][0], r[1][1], r[1][2], r[1][3]), r[2], r[3], r[4]) for r in data["lines"]]


def examples(data_dir: Path, ocr_dir: Path, variants: Sequence[str] = ()) -> Iterator[Example]:
    """Every development receipt from its text lines and from each OCR reading, then its variants."""
    for dataset, readings in READINGS.items():
        for key in dev_keys(data_dir, dataset):
            truth = truth_of(data_dir, dataset, key)
            found = []
            if truth.get("lines"):
                lines = [OcrLine(ln["text"], tuple(ln["bbox_xyxy"]), 1.0) for ln in truth["lines"]]  # type: ignore[arg-type]
                found.append(("gt", lines))
            for reading in readings:
                folder = ocr_dir / (dataset if reading == "scan" else f"{dataset}-{reading}")
                cached = _cached_lines(folder / f"{key}.json")
                if cached is not None:
                    found.append((reading, cached))
            for source, lines in found:
                yield Example(dataset, key, source, lines, truth)
                for v in variants:
                    yield Example(
                        dataset, key, f"{source}+{v}", receipt_variants.variant(v, lines, key), truth
                    )


def truth_totals(truth: dict[str, Any]) -> list[Decimal]:
    """Every amount the ground truth accepts as the total."""
    raw = truth.get("totals") or ([truth["total"]] if truth.get("total") else [])
    return [v for v in (parse_total(str(t)) for t in raw) if v is not None]


# --- the total ranker ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranking:
    """One receipt's total candidates: feature rows, which are right, and whether the rules were."""

    example: Example
    xs: list[list[float]]
    ys: list[int]
    rule_right: bool


def rankings(exs: Sequence[Example]) -> list[Ranking]:
    """The candidates of every example that has a labelled total (rules alone, no ranker)."""
    from receiptflow.extract import total_ranker
    from receiptflow.extract.extractor import read_totals

    out = []
    with total_ranker.use_model(None):
        for ex in exs:
            truths = truth_totals(ex.truth)
            if not truths:
                continue
            totals = read_totals(ex.lines)
            xs = [[c.features[f] for f in total_ranker.FEATURES] for c in totals.candidates]
            ys = [int(c.value in truths) for c in totals.candidates]
            rule = totals.total is not None and totals.total.amount.value in truths
            out.append(Ranking(ex, xs, ys, rule))
    return out


def fit_ranker(data: Sequence[Ranking]) -> Any:
    """Gradient-boosted trees over the candidates of ``data``, exported as a ``total_ranker.Model``."""
    from receiptflow.extract.total_ranker import FEATURES, Model
    from sklearn.ensemble import GradientBoostingClassifier

    xs = [x for r in data for x in r.xs]
    ys = [y for r in data for y in r.ys]
    gb = GradientBoostingClassifier(**RANKER).fit(xs, ys)  # type: ignore[arg-type]
    trees = []
    for est in gb.estimators_[:, 0]:
        t = est.tree_
        trees.append(
            tuple(
                (
                    int(t.feature[i]) if t.children_left[i] >= 0 else -1,
                    float(t.threshold[i]),
                    int(t.children_left[i]),
                    int(t.children_right[i]),
                    float(t.value[i][0][0]),
                )
                for i in range(t.node_count)
            )
        )
    rate = float(gb.learning_rate)
    partial = Model(FEATURES, 0.0, rate, tuple(trees))
    init = float(gb.decision_function([xs[0]])[0]) - partial.raw(dict(zip(FEATURES, xs[0], strict=True)))
    return Model(FEATURES, init, rate, tuple(trees))


def report_ranker(data: Sequence[Ranking], models: dict[int, Any]) -> dict[str, dict[str, float]]:
    """Out-of-fold total accuracy per source (rules alone vs the ranker of the other folds)."""
    from receiptflow.extract.total_ranker import FEATURES

    counts: dict[str, list[int]] = {}
    for r in data:
        name = f"{r.example.dataset}/{r.example.source}"
        c = counts.setdefault(name, [0, 0, 0])
        c[0] += 1
        c[1] += r.rule_right
        if r.xs:
            m = models[r.example.fold]
            scores = [m.raw(dict(zip(FEATURES, x, strict=True))) for x in r.xs]
            c[2] += r.ys[scores.index(max(scores))]
    table = {
        k: {"n": n, "rules": rule / n, "ranker": rank / n} for k, (n, rule, rank) in sorted(counts.items())
    }
    for name, row in table.items():
        rules, ranker = row["rules"], row["ranker"]
        print(f"  {name:<22} n={row['n']:4.0f} rules {rules:.3f}  ranker (out of fold) {ranker:.3f}")
    return table


# --- calibration ---------------------------------------------------------------------------------


# Vendor and address errors are mostly OCR errors: calibrated on the SROIE OCR readings only. Dates
# rarely fail on images: the SROIE text lines too. Totals: everything, variants included.
def calibrated_on(field: str, ex: Example) -> bool:
    """Whether ``ex`` counts towards the calibration of ``field`` (see above)."""
    original = "+" not in ex.source
    if field in ("company", "address"):
        return ex.dataset == "sroie" and ex.from_image and original
    if field == "date":
        return ex.dataset == "sroie" and original
    return True


def fit_calibration(
    data_dir: Path, exs: Sequence[Example], ranker_models: dict[int, Any]
) -> dict[str, dict[str, float]]:
    """Per-field logistic weights: P(field right | evidence); the total ranked out of fold."""
    from receiptflow.extract import total_ranker
    from receiptflow.extract.extractor import read_receipt
    from sklearn.linear_model import LogisticRegression

    rows: dict[str, tuple[list[list[float]], list[int]]] = {f: ([], []) for f in FEATURES}
    sroie = dev_keys(data_dir, "sroie")
    fold_lexicons = {
        f: build_lexicon(data_dir, [k for k in sroie if fold("sroie", k) != f]) for f in range(4)
    }
    for ex in exs:
        with total_ranker.use_model(ranker_models[ex.fold]):
            receipt, evidence = read_receipt(ex.lines)
        preds = predictions(receipt)
        if ex.dataset == "sroie":
            # "known" must not see the receipt's own label: recompute it with the other folds' lexicon
            fold_words = fold_lexicons[ex.fold]
            for field, name in (("company", "vendor_name"), ("address", "vendor_address")):
                if field in evidence:
                    evidence[field]["known"] = known_share(getattr(receipt, name).text or "", fold_words)
        for field, names in FEATURES.items():
            if field not in evidence or not calibrated_on(field, ex):
                continue
            if field == "total":
                truths = truth_totals(ex.truth)
                if not truths:
                    continue
                right = receipt.total.value in truths
            else:
                right = field_matches(field, preds[field].value, str(ex.truth.get(field) or ""))
            xs, ys = rows[field]
            xs.append([evidence[field][n] for n in names])
            ys.append(int(right))
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
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DATA, help="holds sroie-train/, wildreceipt-dev/"
    )
    parser.add_argument("--ocr-dir", type=Path, default=DEFAULT_OCR_DIR, help="OCR cache, one file per image")
    args = parser.parse_args(argv[1:])

    from receiptflow.extract import total_ranker
    from receiptflow.extract.lexicon import lexicon

    words = build_lexicon(args.data_dir, dev_keys(args.data_dir, "sroie"))
    (PACKAGE / "lexicon.json").write_text(
        json.dumps({"source": "sroie-train, development folds", "words": words})
    )
    lexicon.cache_clear()
    print(f"lexicon: {len(words)} words")

    ensure_ocr(args.data_dir, args.ocr_dir)
    exs = list(examples(args.data_dir, args.ocr_dir, receipt_variants.VARIANTS))
    print(f"{len(exs)} development readings (text lines, OCR, variants)")

    data = rankings(exs)
    models = {f: fit_ranker([r for r in data if r.example.fold != f]) for f in range(4)}
    print("total, out of fold (4 development folds):")
    report = report_ranker(data, models)
    shipped = fit_ranker(data)
    (PACKAGE / "total_ranker.json").write_text(
        json.dumps(
            {
                "source": "sroie-train + wildreceipt-dev, development folds",
                "report": report,
                **shipped.to_json(),
            }
        )
    )
    total_ranker._shipped.cache_clear()

    calibration = PACKAGE / "calibration.json"
    calibration.unlink(missing_ok=True)  # evidence is gathered uncalibrated
    weights = fit_calibration(args.data_dir, exs, models)
    calibration.write_text(
        json.dumps(
            {"source": "sroie-train + wildreceipt-dev, development folds", "fields": weights}, indent=1
        )
    )
    print(f"written: lexicon.json, total_ranker.json, calibration.json in {PACKAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
