"""Issue 16: OCR engine configurations side by side on labelled sets, end to end, in one run.

    .venv/bin/python bench/ocr_accuracy.py --sets sroie-val,wild-dev,wild-f4 \\
        --engine baseline --engine new --engine "wide:det_max_side=1280"

For every image of the sets: the real intake (``load_document``), then each engine reads every page
(one onnxruntime thread, in the same process, one image after the other, so CPU seconds compare),
then the product's extractor and checks (``extract_receipt`` + ``check_receipt``) and the scoring of
``tools/extract_harness.py`` (PLAN.md "Accuracy protocol": totals as numbers, any of gt ``totals``;
dates via ``date_iso``; company exact and lenient; address). Also OCR line recall against the
ground-truth text lines (exact: upper case, whitespace ignored; contained: the gt line inside one OCR
line) and character recall (the gt line's characters found in order in its best OCR line).

Engines: ``baseline`` (``bench/baseline.py``, the pre-issue-16 rapidocr configuration), ``new`` (the
default ``EngineConfig``), or ``label:field=value,...`` (``EngineConfig`` fields overridden). Each
engine's OCR output is kept under ``--cache/<label>/<dataset>/<key>.json`` (the format of
``/work/cache/ocr``) with its CPU seconds; a label is reused only while its configuration is the same
(``--fresh`` re-reads; ``--score-only`` reads nothing). CPU ratios compare only engines read in the
same run. Held-out sets (``sroie-val``, ``*-f4``) are scored, never printed per receipt.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import multiprocessing
import re
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "shared"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from receiptflow.models.ocr_lines import OcrLine  # noqa: E402

from tools.extract_harness import (  # noqa: E402
    DATASETS,
    DEV_SETS,
    HELD_OUT_SETS,
    SHARED,
    Example,
    score,
    set_keys,
)

FIELDS = ("total", "date", "company", "company_lenient", "address")
MEAN_FIELDS = ("total", "date", "company", "address")  # mean field accuracy (company exact)
DEFAULT_CACHE = Path("/work/cache/ocracc/runs")
_SPACE = re.compile(r"\s+")


@dataclasses.dataclass(frozen=True)
class EngineSpec:
    """An engine by label: ``baseline`` or an ``EngineConfig`` with some fields overridden."""

    label: str
    overrides: tuple[tuple[str, Any], ...] = ()

    @property
    def baseline(self) -> bool:
        return self.label == "baseline"

    def build(self) -> Any:
        """The engine, one onnxruntime thread."""
        if self.baseline:
            from bench.baseline import BaselineEngine

            return BaselineEngine(threads=1)
        from receiptflow.adapters.ocr.engine import EngineConfig, OcrEngine

        return OcrEngine(dataclasses.replace(EngineConfig(threads=1), **dict(self.overrides)))

    def describe(self) -> dict[str, Any]:
        """What the output depends on (compared before cached output is reused)."""
        if self.baseline:
            from bench.baseline import baseline_params

            return {"baseline": {k: str(v) for k, v in baseline_params().items()}}
        engine = self.build()
        return {"engine": engine.describe()}


def parse_engine(text: str) -> EngineSpec:
    """``label`` or ``label:field=value,field=value`` (values typed after ``EngineConfig``'s fields)."""
    from receiptflow.adapters.ocr.engine import EngineConfig

    label, _, rest = text.partition(":")
    if not label or not re.fullmatch(r"[\w.-]+", label):
        raise argparse.ArgumentTypeError(f"bad engine label {label!r}")
    types = {f.name: type(getattr(EngineConfig(), f.name)) for f in dataclasses.fields(EngineConfig)}
    overrides: list[tuple[str, Any]] = []
    for item in filter(None, rest.split(",")):
        name, eq, raw = item.partition("=")
        if not eq or name not in types:
            raise argparse.ArgumentTypeError(f"unknown EngineConfig field in {item!r}: {sorted(types)}")
        kind = types[name]
        value: Any = raw.lower() in ("1", "true", "yes") if kind is bool else kind(raw)
        overrides.append((name, value))
    if label == "baseline" and overrides:
        raise argparse.ArgumentTypeError("baseline takes no overrides")
    return EngineSpec(label, tuple(overrides))


def _norm(text: str) -> str:
    return _SPACE.sub("", text.upper())


def line_recall(gt_lines: Iterable[str], ocr_lines: Iterable[str]) -> tuple[int, int, int]:
    """(gt lines read exactly, gt lines contained in one OCR line, gt lines), whitespace and case
    ignored; each OCR line matches at most one gt line exactly."""
    ocr = [_norm(t) for t in ocr_lines]
    pool: dict[str, int] = {}
    for t in ocr:
        pool[t] = pool.get(t, 0) + 1
    exact = contained = total = 0
    for g in (_norm(t) for t in gt_lines):
        if not g:
            continue
        total += 1
        if pool.get(g, 0):
            pool[g] -= 1
            exact += 1
        if any(g in t for t in ocr):
            contained += 1
    return exact, contained, total


def char_hits(gt_lines: Iterable[str], ocr_lines: Iterable[str]) -> tuple[int, int]:
    """(characters of the gt lines found in order in their best OCR line, characters of the gt lines),
    whitespace and case ignored: a character-level recall that a one-letter slip moves only a little."""
    ocr = [t for t in (_norm(t) for t in ocr_lines) if t]
    hits = total = 0
    for g in (_norm(t) for t in gt_lines):
        total += len(g)
        if not g or not ocr:
            continue
        if any(g in t for t in ocr):
            hits += len(g)
            continue
        best = 0
        for t in ocr:
            matcher = difflib.SequenceMatcher(None, g, t, autojunk=False)
            if matcher.real_quick_ratio() * (len(g) + len(t)) / 2 <= best:
                continue
            best = max(best, sum(block.size for block in matcher.get_matching_blocks()))
        hits += best
    return hits, total


_engines: dict[str, Any] = {}


def _read(job: tuple[str, str, Path, list[EngineSpec]]) -> dict[str, Any]:
    """Intake one image, then every engine in ``specs`` on it: {label: cached record}."""
    from receiptflow.errors import ReceiptflowError
    from receiptflow.intake import load_document
    from receiptflow.settings import Settings

    dataset, key, image, specs = job
    out: dict[str, Any] = {}
    try:
        doc = load_document(image.read_bytes(), settings=Settings())
    except ReceiptflowError as e:
        return {s.label: {"key": key, "error": e.code} for s in specs}
    for spec in specs:
        engine = _engines.get(spec.label)
        if engine is None:
            engine = _engines[spec.label] = spec.build()
            engine.warm_up()
        start = time.process_time()
        try:
            lines = [line for i, page in enumerate(doc.pages) for line in engine.read(page, i)]
        except ReceiptflowError as e:
            out[spec.label] = {"key": key, "error": e.code}
            continue
        out[spec.label] = {
            "key": key,
            "pages": [[p.width, p.height] for p in doc.pages],
            "lines": [[ln.text, list(ln.box), ln.confidence, ln.page, ln.angle] for ln in lines],
            "cpu_seconds": time.process_time() - start,
        }
    return out


def keys_of(name: str, limit: int = 0, skip: int = 0) -> list[str]:
    """The keys of set ``name`` that have an image (past the first ``skip``; ``limit`` of them when set)."""
    dataset = name.split("-")[0]
    keys = [k for k in set_keys(name, SHARED) if (SHARED / DATASETS[dataset] / "img" / f"{k}.jpg").is_file()]
    keys = keys[skip:]
    return keys[:limit] if limit else keys


def read_all(
    sets: Sequence[str],
    specs: Sequence[EngineSpec],
    cache: Path,
    *,
    fresh: bool,
    workers: int,
    limit: int = 0,
    skip: int = 0,
) -> None:
    """OCR every image of ``sets`` with every engine whose output is not cached yet."""
    for spec in specs:
        folder = cache / spec.label
        described = json.dumps(spec.describe(), sort_keys=True)
        marker = folder / "config.json"
        if fresh or not marker.is_file() or marker.read_text(encoding="utf-8") != described:
            for old in folder.glob("*/*.json"):
                old.unlink()
            folder.mkdir(parents=True, exist_ok=True)
            marker.write_text(described, encoding="utf-8")
    jobs = []
    for name in sets:
        dataset = name.split("-")[0]
        for key in keys_of(name, limit, skip):
            todo = [s for s in specs if not (cache / s.label / dataset / f"{key}.json").is_file()]
            if todo:
                jobs.append((dataset, key, SHARED / DATASETS[dataset] / "img" / f"{key}.jpg", todo))
    if not jobs:
        return
    print(f"reading {len(jobs)} images ({workers} processes)", file=sys.stderr, flush=True)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for done, ((dataset, _key, _image, _todo), result) in enumerate(
            zip(jobs, pool.map(_read, jobs), strict=True), 1
        ):
            for label, record in result.items():
                target = cache / label / dataset / f"{record['key']}.json"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(json.dumps(record), encoding="utf-8")
            if done % 20 == 0:
                print(f"  {done}/{len(jobs)}", file=sys.stderr, flush=True)


@dataclasses.dataclass
class Tally:
    """One engine on one set: field hits, line recall, CPU seconds."""

    n: int = 0
    cpu: float = 0.0
    exact: int = 0
    contained: int = 0
    gt_lines: int = 0
    failures: int = 0
    char_hits: int = 0
    gt_chars: int = 0

    def __post_init__(self) -> None:
        self.right = dict.fromkeys(FIELDS, 0)
        self.scored = dict.fromkeys(FIELDS, 0)

    def acc(self, f: str) -> float | None:
        return self.right[f] / self.scored[f] if self.scored[f] else None

    def mean(self) -> float:
        values = [a for a in (self.acc(f) for f in MEAN_FIELDS) if a is not None]
        return sum(values) / len(values) if values else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "fields": {f: self.acc(f) for f in FIELDS},
            "mean": self.mean(),
            "line_recall_exact": self.exact / self.gt_lines if self.gt_lines else None,
            "line_recall_contained": self.contained / self.gt_lines if self.gt_lines else None,
            "char_recall": self.char_hits / self.gt_chars if self.gt_chars else None,
            "cpu_s_per_image": self.cpu / self.n if self.n else None,
            "failures": self.failures,
        }


def score_all(
    sets: Sequence[str],
    specs: Sequence[EngineSpec],
    cache: Path,
    *,
    dump: Path | None,
    limit: int = 0,
    skip: int = 0,
) -> dict[str, dict[str, Tally]]:
    """Extract and score every cached OCR output: {set: {label: Tally}}."""
    from receiptflow.extract import extract_receipt
    from receiptflow.extract.checks import check_receipt

    from tools.extract_harness import _gt

    tallies: dict[str, dict[str, Tally]] = {}
    out = dump.open("w", encoding="utf-8") if dump else None
    for name in sets:
        dataset = name.split("-")[0]
        for key in keys_of(name, limit, skip):
            truth = _gt(dataset, key, SHARED)
            for spec in specs:
                path = cache / spec.label / dataset / f"{key}.json"
                if not path.is_file():
                    continue
                record = json.loads(path.read_text(encoding="utf-8"))
                tally = tallies.setdefault(name, {}).setdefault(spec.label, Tally())
                tally.n += 1
                if "error" in record:
                    tally.failures += 1
                    record = {"pages": [], "lines": [], "cpu_seconds": 0.0}
                tally.cpu += record["cpu_seconds"]
                lines = [OcrLine(r[0], tuple(r[1]), r[2], r[3], r[4]) for r in record["lines"]]
                pages = [(int(w), int(h)) for w, h in record["pages"]]
                receipt = check_receipt(extract_receipt(lines, page_sizes=pages))
                result = score(Example(dataset, key, "ocr", lines, pages, truth), receipt)
                for f, ok in result.items():
                    if ok is not None:
                        tally.scored[f] += 1
                        tally.right[f] += ok
                gt_texts = [g["text"] for g in truth.get("lines") or []]
                exact, contained, total = line_recall(gt_texts, (ln.text for ln in lines))
                hits, chars = char_hits(gt_texts, [ln.text for ln in lines])
                tally.char_hits += hits
                tally.gt_chars += chars
                tally.exact += exact
                tally.contained += contained
                tally.gt_lines += total
                if out is not None and name in DEV_SETS:
                    out.write(
                        json.dumps({"set": name, "key": key, "engine": spec.label, "ok": result}) + "\n"
                    )
    if out is not None:
        out.close()
    if "wild-dev" in tallies and "wild-f4" in tallies:  # the whole WildReceipt dev data (231)
        tallies["wild-all"] = {
            label: merge(t, tallies["wild-f4"][label])
            for label, t in tallies["wild-dev"].items()
            if label in tallies["wild-f4"]
        }
    return tallies


def merge(a: Tally, b: Tally) -> Tally:
    """Two tallies as one."""
    out = Tally(
        a.n + b.n,
        a.cpu + b.cpu,
        a.exact + b.exact,
        a.contained + b.contained,
        a.gt_lines + b.gt_lines,
        a.failures + b.failures,
        a.char_hits + b.char_hits,
        a.gt_chars + b.gt_chars,
    )
    for f in FIELDS:
        out.right[f] = a.right[f] + b.right[f]
        out.scored[f] = a.scored[f] + b.scored[f]
    return out


def print_table(tallies: dict[str, dict[str, Tally]], reference: str) -> None:
    """Per set: one row per engine, CPU ratio against ``reference``."""
    head = " ".join(f"{f[:8]:>8}" for f in FIELDS)
    for name, by_label in tallies.items():
        ref = by_label.get(reference)
        ref_cpu = ref.cpu / ref.n if ref and ref.n else 0.0
        print(f"\n{name}")
        print(f"  {'engine':<18} {'n':>4} {head}     mean  lines=  lines~   chars  cpu s  vs {reference}")
        for label, t in by_label.items():
            cells = " ".join(f"{a:8.3f}" if a is not None else "       -" for a in map(t.acc, FIELDS))
            cpu = t.cpu / t.n if t.n else 0.0
            ratio = f"{ref_cpu / cpu:5.2f}x" if cpu and ref_cpu else "   - "
            rec_e = t.exact / t.gt_lines if t.gt_lines else 0.0
            rec_c = t.contained / t.gt_lines if t.gt_lines else 0.0
            chars = t.char_hits / t.gt_chars if t.gt_chars else 0.0
            print(
                f"  {label:<18} {t.n:>4} {cells} {t.mean():8.4f} {rec_e:7.4f} {rec_c:7.4f} {chars:7.4f} "
                f"{cpu:6.2f}  {ratio}"
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sets", default="sroie-val,wild-dev,wild-f4", help="comma-separated")
    parser.add_argument("--engine", action="append", type=parse_engine, help="repeatable; first = reference")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="only the first N images of each set")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first N images of each set")
    parser.add_argument("--fresh", action="store_true", help="re-read images already cached")
    parser.add_argument("--score-only", action="store_true", help="score what is cached, read nothing")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--dump", type=Path, help="per-receipt results of dev sets (JSON lines)")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in DEV_SETS + HELD_OUT_SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; choose from {DEV_SETS + HELD_OUT_SETS}")
    specs: list[EngineSpec] = args.engine or [parse_engine("baseline"), parse_engine("new")]
    if len({s.label for s in specs}) != len(specs):
        parser.error("engine labels must differ")
    if not args.score_only:
        read_all(
            sets, specs, args.cache, fresh=args.fresh, workers=args.workers, limit=args.limit, skip=args.skip
        )
    tallies = score_all(sets, specs, args.cache, dump=args.dump, limit=args.limit, skip=args.skip)
    print_table(tallies, specs[0].label)
    if args.json:
        figures = {
            "sets": {n: {label: t.to_json() for label, t in d.items()} for n, d in tallies.items()},
            "engines": {s.label: dict(s.overrides) for s in specs},
        }
        args.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
