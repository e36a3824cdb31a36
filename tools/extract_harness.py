"""Run the extractor alone on cached OCR lines and on ground-truth text lines, per source set and fold.

A development harness for issue 11 (no OCR is run: it reads the OCR cache that
``/work/cache/make_ocr_cache.py`` writes, ``<cache>/{sroie,wild}/<key>.json``). Sets:

- ``sroie-dev``: the SROIE training split minus fold 4 (PLAN.md "Accuracy protocol");
- ``sroie-val``: the 60 validation keys (held out); ``sroie-f4``: fold 4 of the training split (held out);
- ``wild-dev``: WildReceipt folds 0-3; ``wild-f4``: WildReceipt fold 4 (held out).

Each set is read from ``ocr`` (cached OCR of its images) and/or ``gt`` (the labelled text lines with
their boxes, confidence 1.0; SROIE keys without an image exist only as ``gt``). Held-out sets are
scored only with ``--held-out``, and their errors are never printed.

    .venv/bin/python -m tools.extract_harness                      # dev sets, both sources
    .venv/bin/python -m tools.extract_harness --errors total --sets wild-dev --sources ocr
    .venv/bin/python -m tools.extract_harness --held-out           # every set, for reports
    .venv/bin/python -m tools.extract_harness --oof-total /tmp/receiptflow-train-ocr   # total ranker, CV
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from receiptflow.evaluation import scoring
from receiptflow.evaluation.scoring import (
    day_month_swapped,
    normalise_text,
    parse_total,
    prediction_values,
    truth_from_label,
)
from receiptflow.evaluation.split import validation_keys
from receiptflow.models.ocr_lines import OcrLine

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the repository (the main checkout), else beside the worktrees' parent
SHARED = next(
    (p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
DEFAULT_CACHE = Path("/work/cache/ocr")
DATASETS = {"sroie": "sroie-train", "wild": "wildreceipt-dev"}
DEV_SETS = ("sroie-dev", "wild-dev")
HELD_OUT_SETS = ("sroie-val", "sroie-f4", "wild-f4")
FIELDS = ("total", "date", "company", "company_lenient", "address")
HELD_OUT_FOLD = 4


def fold(dataset: str, key: str) -> int:
    """The fold (0-4) of ``key`` in ``dataset`` ("sroie" or "wild"); fold 4 is held out."""
    return int(hashlib.sha256(f"receiptflow-fold:{dataset}:{key}".encode()).hexdigest(), 16) % 5


@dataclass(frozen=True)
class Example:
    """One receipt as the extractor sees it: its lines, page size and ground truth."""

    dataset: str
    key: str
    source: str
    lines: list[OcrLine]
    pages: list[tuple[int, int]]
    truth: dict[str, Any]


def _gt(dataset: str, key: str, data_dir: Path) -> dict[str, Any]:
    path = data_dir / DATASETS[dataset] / "gt" / f"{key}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def set_keys(name: str, data_dir: Path) -> list[str]:
    """The keys of set ``name`` (see the module docstring), sorted."""
    dataset = name.split("-")[0]
    keys = sorted(p.stem for p in (data_dir / DATASETS[dataset] / "gt").glob("*.json"))
    if dataset == "sroie":
        images = [p.stem for p in (data_dir / DATASETS[dataset] / "img").glob("*.jpg")]
        val = validation_keys(images)
        if name == "sroie-val":
            return [k for k in keys if k in val]
        keys = [k for k in keys if k not in val]
    want_held_out = name.endswith("-f4")
    return [k for k in keys if (fold(dataset, k) == HELD_OUT_FOLD) == want_held_out]


def _cached_lines(raw: list[list[Any]]) -> list[OcrLine]:
    return [OcrLine(r[0], (r[1][0], r[1][1], r[1][2], r[1][3]), r[2], r[3], r[4]) for r in raw]


def examples(
    name: str,
    sources: Sequence[str],
    data_dir: Path = SHARED,
    cache: Path = DEFAULT_CACHE,
    variants: Sequence[str] = (),
) -> Iterator[Example]:
    """Every receipt of set ``name`` from each of ``sources`` ("ocr": cached OCR, "gt": text lines),
    and each of its ``variants`` (``receipt_variants``: source "gt+foreign" …)."""
    if variants:
        from tools import receipt_variants  # only then: it needs this branch's cue table
    for ex in _examples(name, sources, data_dir, cache):
        yield ex
        for v in variants:
            lines = receipt_variants.variant(v, ex.lines, ex.key)
            yield Example(ex.dataset, ex.key, f"{ex.source}+{v}", lines, ex.pages, ex.truth)


def _examples(name: str, sources: Sequence[str], data_dir: Path, cache: Path) -> Iterator[Example]:
    dataset = name.split("-")[0]
    for key in set_keys(name, data_dir):
        truth = _gt(dataset, key, data_dir)
        if "gt" in sources and truth.get("lines"):
            lines = [
                OcrLine(ln["text"], tuple(ln["bbox_xyxy"]), 1.0)  # type: ignore[arg-type]
                for ln in truth["lines"]
            ]
            size = (int(truth.get("width") or 0), int(truth.get("height") or 0))
            yield Example(dataset, key, "gt", lines, [size], truth)
        cached = cache / dataset / f"{key}.json"
        if "ocr" in sources and cached.is_file():
            data = json.loads(cached.read_text(encoding="utf-8"))
            pages = [(int(w), int(h)) for w, h in data["pages"]]
            yield Example(dataset, key, "ocr", _cached_lines(data["lines"]), pages, truth)


_NON_ALNUM = re.compile(r"[^0-9A-Z]")


def _squash(text: str | None) -> str:
    return _NON_ALNUM.sub("", (text or "").upper())


def truth_totals(truth: dict[str, Any]) -> list[Decimal]:
    """Every amount the ground truth accepts as the total."""
    raw = truth.get("totals") or ([truth["total"]] if truth.get("total") else [])
    return [v for v in (parse_total(str(t)) for t in raw) if v is not None]


def score(example: Example, receipt: Any) -> dict[str, bool | None]:
    """Per field: True/False, or None when the truth lacks the field (skipped)."""
    t = example.truth
    out: dict[str, bool | None] = dict.fromkeys(FIELDS)
    totals = truth_totals(t)
    if totals:
        out["total"] = receipt.total.value is not None and any(receipt.total.value == v for v in totals)
    if t.get("date_iso") or t.get("date"):
        # as ``receiptflow eval`` scores it: as a date with ``date_iso``, else as printed (spacing ignored)
        values, _ = prediction_values(receipt)
        out["date"] = scoring.score(values, truth_from_label(t))["date"]
    if t.get("company"):
        pred = receipt.vendor_name.text
        if example.dataset == "wild":  # transcriptions without spaces: compare ignoring them
            out["company"] = _squash(t["company"]) == _squash(pred)
        else:
            out["company"] = normalise_text(t["company"]) == normalise_text(pred)
        out["company_lenient"] = bool(_squash(t["company"])) and _squash(t["company"]) in _squash(pred)
    if t.get("address"):
        if example.dataset == "wild":
            out["address"] = _squash(t["address"]) == _squash(receipt.vendor_address.text)
        else:
            out["address"] = normalise_text(t["address"]) == normalise_text(receipt.vendor_address.text)
    return out


@dataclass
class Tally:
    """Right/scored counts per field, total confidence outcomes and extraction time of one set+source."""

    n: int = 0
    seconds: float = 0.0

    def __post_init__(self) -> None:
        self.right: dict[str, int] = dict.fromkeys(FIELDS, 0)
        self.scored: dict[str, int] = dict.fromkeys(FIELDS, 0)
        self.total_conf: list[tuple[float, bool]] = []
        self.date_swapped = 0

    def add(
        self, result: dict[str, bool | None], seconds: float, total_conf: float, *, swapped: bool = False
    ) -> None:
        """Count one receipt (``swapped``: its wrong date is the label's with day and month swapped)."""
        self.n += 1
        self.date_swapped += swapped
        self.seconds += seconds
        for f, ok in result.items():
            if ok is not None:
                self.scored[f] += 1
                self.right[f] += ok
        if result["total"] is not None:
            self.total_conf.append((total_conf, bool(result["total"])))

    def row(self) -> str:
        """One table row: accuracy per field (scored count), ms/receipt, wrong totals at >= 0.9."""
        cells = [f"{self.right[f] / self.scored[f]:.3f}" if self.scored[f] else "  -  " for f in FIELDS]
        wrong_high = sum(1 for c, ok in self.total_conf if c >= 0.9 and not ok)
        high = sum(1 for c, _ in self.total_conf if c >= 0.9)
        ms = 1000 * self.seconds / self.n if self.n else 0.0
        return (
            " ".join(f"{c:>8}" for c in cells)
            + f" {ms:7.1f} {wrong_high:>4}/{high:<4} {self.date_swapped:>4}"
        )


def run(
    sets: Sequence[str],
    sources: Sequence[str],
    *,
    errors: str | None,
    data_dir: Path,
    cache: Path,
    limit_errors: int,
    dump: Path | None = None,
    variants: Sequence[str] = (),
) -> dict[str, Tally]:
    """Extract and score every example; print misses of ``errors`` (dev sets only)."""
    from receiptflow.extract.extractor import extract_receipt

    tallies: dict[str, Tally] = {}
    out = dump.open("w") if dump else None
    for name in sets:
        for source in sources:
            shown = 0
            for ex in examples(name, [source], data_dir, cache, variants):
                tally = tallies.setdefault(f"{name}/{ex.source}", Tally())
                start = time.perf_counter()
                receipt = extract_receipt(ex.lines, page_sizes=ex.pages)
                seconds = time.perf_counter() - start
                result = score(ex, receipt)
                swapped = result["date"] is False and day_month_swapped(
                    str(receipt.date.value) if receipt.date.value else None, ex.truth.get("date_iso")
                )
                tally.add(result, seconds, receipt.total.confidence, swapped=swapped)
                if out is not None and name in DEV_SETS:
                    preds = {
                        "total": str(receipt.total.value),
                        "date": str(receipt.date.value),
                        "company": receipt.vendor_name.text,
                        "address": receipt.vendor_address.text,
                    }
                    out.write(json.dumps({"id": f"{name}/{ex.source}/{ex.key}", "ok": result, "pred": preds}))
                    out.write("\n")
                if errors and name in DEV_SETS and result.get(errors) is False and shown < limit_errors:
                    shown += 1
                    print(f"--- {name}/{ex.source} {ex.key}: {errors} {_describe(errors, ex, receipt)}")
    if out is not None:
        out.close()
    return tallies


def _describe(field: str, ex: Example, receipt: Any) -> str:
    t = ex.truth
    if field == "total":
        truth = [str(v) for v in truth_totals(t)]
        return f"pred={receipt.total.value} ({receipt.total.confidence}) truth={truth}"
    if field == "date":
        return f"pred={receipt.date.text!r}/{receipt.date.value} truth={t.get('date')!r}/{t.get('date_iso')}"
    if field.startswith("company"):
        return f"pred={receipt.vendor_name.text!r} truth={t.get('company')!r}"
    return f"pred={receipt.vendor_address.text!r} truth={t.get('address')!r}"


def _oof_total(data_dir: Path, ocr_dir: Path) -> int:
    """What ``make train`` prints before it writes ``total_ranker.json``: rules vs the ranker of the
    other development folds, per source, without fitting or writing the shipped model."""
    from tools import receipt_variants, train_extractor

    exs = list(train_extractor.examples(data_dir, ocr_dir, receipt_variants.VARIANTS))
    print(f"{len(exs)} development readings (text lines, OCR, variants)")
    data = train_extractor.rankings(exs)
    models = {f: train_extractor.fit_ranker([r for r in data if r.example.fold != f]) for f in range(4)}
    print("total, out of fold (4 development folds):")
    train_extractor.report_ranker(data, models)
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default=",".join(DEV_SETS), help="comma-separated set names")
    parser.add_argument("--sources", default="ocr,gt", help="ocr, gt or both (comma-separated)")
    parser.add_argument("--held-out", action="store_true", help="also score the held-out sets")
    parser.add_argument("--errors", choices=FIELDS, help="print this field's misses (dev sets only)")
    parser.add_argument("--limit-errors", type=int, default=60)
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument(
        "--variants", default="", help="also read each receipt as these variants: foreign, unknown"
    )
    parser.add_argument("--dump", type=Path, help="write each dev receipt's predictions here (JSON lines)")
    parser.add_argument(
        "--oof-total",
        type=Path,
        metavar="OCR_DIR",
        help="only report the total ranker out of fold on the development folds, from make train's OCR "
        "cache (its readings and text variants), refitting per held-back fold; writes no model",
    )
    args = parser.parse_args(argv[1:])
    if args.oof_total:
        return _oof_total(args.data, args.oof_total)
    sets = [s for s in args.sets.split(",") if s]
    if args.held_out:
        sets += [s for s in HELD_OUT_SETS if s not in sets]
    unknown = [s for s in sets if s not in DEV_SETS + HELD_OUT_SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}")
    if not args.held_out and any(s in HELD_OUT_SETS for s in sets):
        parser.error("held-out sets need --held-out (and are scored, never inspected)")
    sources = [s for s in args.sources.split(",") if s]
    tallies = run(
        sets,
        sources,
        errors=args.errors,
        data_dir=args.data,
        cache=args.cache,
        limit_errors=args.limit_errors,
        dump=args.dump,
        variants=[v for v in args.variants.split(",") if v],
    )
    print(
        f"{'set/source':<16} {'n':>4} " + " ".join(f"{f[:8]:>8}" for f in FIELDS) + "  ms/rec wrong>=.9 swap"
    )
    for name, tally in tallies.items():
        if tally.n:
            print(f"{name:<16} {tally.n:>4} {tally.row()}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "date": dt.date.today().isoformat(),
                    "sets": {
                        name: {
                            "n": t.n,
                            "fields": {f: [t.right[f], t.scored[f]] for f in FIELDS},
                            "date_swapped": t.date_swapped,
                            "ms_per_receipt": 1000 * t.seconds / t.n if t.n else None,
                        }
                        for name, t in tallies.items()
                    },
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
