"""Issue 16: the engine configuration against the pre-issue-16 ``baseline``, side by side in one run.

    .venv/bin/python bench/engines.py [-n 12] [--rounds 3]

Each run is a pool of spawned worker processes doing a scan's per-image work (read the file, intake,
OCR every page, extract, check) on the same images. Runs of both configurations at 1 and 2 workers are
interleaved, in a rotated order each round, and the median of the rounds counts: the machine may be
shared, so only ratios within one run mean anything. Timing starts once every worker has loaded its
models. Each worker reports its RSS at rest (models loaded, and again after the batch) and its peak
(``VmHWM``, exact for a spawned process); the summed RSS of the whole tree is sampled during the runs.

Runs: ``baseline`` (rapidocr's pipeline, fp32, 1 thread per worker), ``new`` (``engine_config`` of the
settings: threads from cores and workers, int8 models when made; what ``receiptflow scan`` runs with no
flags at that worker count, the page read from the pixels intake decoded, as the local provider does),
``new-1t`` (the same with one thread per worker, the like-for-like process scaling figure), ``default``
(a plain ``RapidOCR()``, P4).

``--layouts 2x1 1x2 ...`` instead compares ``new`` at several worker x thread layouts (interleaved
rounds, medians, each as a ratio to the first layout): how to split the cores.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for entry in (ROOT, ROOT / "shared"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

from bench.memory import PeakTreeRss  # noqa: E402

DEFAULT_IMAGES = ROOT.parent / "shared" / "data" / "sroie-train" / "img"
MB = 1024 * 1024
RUNS: tuple[tuple[str, int], ...] = (
    ("baseline", 1),
    ("baseline", 2),
    ("new", 1),
    ("new", 2),
    ("new-1t", 1),
    ("default", 2),
)

_reader: Any = None


def _status_mb() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MiB."""
    found: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


def _init(kind: str, workers: int) -> None:
    """Build and load this worker's engine."""
    global _reader
    from receiptflow.adapters.ocr.engine import OcrEngine, engine_config
    from receiptflow.settings import Settings

    from bench.baseline import BaselineEngine, DefaultEngine

    if kind == "baseline":
        engine: Any = BaselineEngine(threads=1)
    elif kind == "default":
        engine = DefaultEngine()
    else:
        settings = Settings(workers=workers)
        if kind == "new-1t":
            settings = settings.model_copy(update={"ocr_threads": 1})
        elif kind.startswith("new:"):  # a worker x thread layout: "new:<threads>"
            settings = settings.model_copy(update={"ocr_threads": int(kind.partition(":")[2])})
        engine = OcrEngine(engine_config(settings))
    engine.warm_up()
    _reader = engine


def _ready(_: int) -> tuple[int, float]:
    time.sleep(0.3)  # long enough for every worker to take one
    return os.getpid(), _status_mb()["VmRSS"]


def _scan(path: str) -> tuple[int, int, float, float]:
    """One image's scan work; returns (pid, lines, RSS now, peak RSS) in MiB."""
    from receiptflow.adapters.ocr.engine import OcrEngine
    from receiptflow.adapters.ocr.provider import read_document
    from receiptflow.extract import extract_receipt
    from receiptflow.extract.checks import check_receipt
    from receiptflow.intake import load_document
    from receiptflow.settings import get_settings

    doc = load_document(Path(path).read_bytes(), settings=get_settings())
    if isinstance(_reader, OcrEngine):  # as the local provider reads: intake's decoded pixels
        lines = read_document(_reader, doc)
    else:
        lines = [line for index, page in enumerate(doc.pages) for line in _reader.read(page, index)]
    check_receipt(extract_receipt(lines, page_sizes=[(p.width, p.height) for p in doc.pages]))
    status = _status_mb()
    return os.getpid(), len(lines), status["VmRSS"], status["VmHWM"]


def one_run(kind: str, workers: int, paths: Sequence[Path]) -> dict[str, Any]:
    """Throughput and memory of one configuration at ``workers`` processes."""
    with (
        PeakTreeRss(os.getpid()) as tree,
        ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init,
            initargs=(kind, workers),
        ) as pool,
    ):
        rest: dict[int, float] = {}
        while len(rest) < workers:
            rest.update(pool.map(_ready, range(workers * 2)))
        start = time.perf_counter()
        results = list(pool.map(_scan, map(str, paths)))
        seconds = time.perf_counter() - start
        after: dict[int, float] = {}
        while len(after) < workers:
            after.update(pool.map(_ready, range(workers * 2)))
    peaks: dict[int, float] = {}
    for pid, _lines, _rss, peak in results:
        peaks[pid] = max(peaks.get(pid, 0.0), peak)
    if not all(lines for _pid, lines, _rss, _peak in results):
        raise RuntimeError(f"{kind}: no text read on some image")
    return {
        "images_per_s": len(paths) / seconds,
        "seconds": seconds,
        "lines": sum(r[1] for r in results),
        "rss_rest_mb": max(rest.values()),
        "rss_after_mb": max(after.values()),
        "peak_rss_per_worker_mb": max(peaks.values()),
        "tree_peak_mb": tree.peak_mb,
    }


def measure(images: Path = DEFAULT_IMAGES, n: int = 12, rounds: int = 3) -> dict[str, Any]:
    """Every run of ``RUNS`` ``rounds`` times, interleaved; medians and the issue-16 ratios."""
    paths = sorted(images.glob("*.jpg"))[:n]
    if not paths:
        raise FileNotFoundError(f"no .jpg images in {images}")
    for p in paths:
        p.read_bytes()
    samples: dict[str, list[dict[str, Any]]] = {f"{k}@{w}": [] for k, w in RUNS}
    for round_ in range(rounds):
        order = RUNS[round_ % len(RUNS) :] + RUNS[: round_ % len(RUNS)]
        for kind, workers in order:
            samples[f"{kind}@{workers}"].append(one_run(kind, workers, paths))

    def med(run: str, key: str) -> float:
        return float(statistics.median(s[key] for s in samples[run]))

    def peak(run: str, key: str) -> float:
        return float(max(s[key] for s in samples[run]))

    rate = {run: med(run, "images_per_s") for run in samples}
    return {
        "images": len(paths),
        "rounds": rounds,
        "throughput": rate,
        "throughput_vs_baseline": rate["new@2"] / rate["baseline@2"],
        "throughput_vs_baseline_1_worker": rate["new@1"] / rate["baseline@1"],
        "scaling_2_over_1": rate["new@2"] / rate["new-1t@1"],
        "scaling_2_over_1_auto_threads": rate["new@2"] / rate["new@1"],
        "baseline_scaling_2_over_1": rate["baseline@2"] / rate["baseline@1"],
        "p4_wall_speedup_2_workers": rate["new@2"] / rate["default@2"],
        "peak_rss_per_worker_mb": max(
            peak("new@1", "peak_rss_per_worker_mb"), peak("new@2", "peak_rss_per_worker_mb")
        ),
        "baseline_peak_rss_per_worker_mb": peak("baseline@2", "peak_rss_per_worker_mb"),
        "rss_rest_per_worker_mb": peak("new@2", "rss_rest_mb"),
        "rss_after_per_worker_mb": peak("new@2", "rss_after_mb"),
        "baseline_rss_rest_per_worker_mb": peak("baseline@2", "rss_rest_mb"),
        "tree_peak_2_workers_mb": peak("new@2", "tree_peak_mb"),
        "baseline_tree_peak_2_workers_mb": peak("baseline@2", "tree_peak_mb"),
        "load_average": os.getloadavg(),
        "runs": samples,
    }


def measure_layouts(
    layouts: Sequence[tuple[int, int]], images: Path = DEFAULT_IMAGES, n: int = 12, rounds: int = 3
) -> dict[str, Any]:
    """``new`` at each (workers, threads) layout, ``rounds`` interleaved rounds in rotated order; median
    images/s of each and its ratio to the first layout's."""
    paths = sorted(images.glob("*.jpg"))[:n]
    if not paths:
        raise FileNotFoundError(f"no .jpg images in {images}")
    layouts = list(layouts)
    names = [f"{w}x{t}" for w, t in layouts]
    rates: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(rounds):
        for workers, threads in layouts[round_ % len(layouts) :] + layouts[: round_ % len(layouts)]:
            run = one_run(f"new:{threads}", workers, paths)
            rates[f"{workers}x{threads}"].append(run["images_per_s"])
    median = {name: float(statistics.median(values)) for name, values in rates.items()}
    return {
        "images": len(paths),
        "rounds": rounds,
        "images_per_s": median,
        "vs_first": {name: median[name] / median[names[0]] for name in names},
        "samples": rates,
        "load_average": os.getloadavg(),
    }


def _layout(text: str) -> tuple[int, int]:
    workers, _, threads = text.partition("x")
    return int(workers), int(threads)


def print_table(figures: dict[str, Any]) -> None:
    """The runs and the ratios."""
    print(f"engine runs on {figures['images']} images, median of {figures['rounds']} interleaved rounds")
    for run, rate in figures["throughput"].items():
        print(f"  {run:<12} {rate:6.3f} images/s")
    for key in (
        "throughput_vs_baseline",
        "throughput_vs_baseline_1_worker",
        "scaling_2_over_1",
        "scaling_2_over_1_auto_threads",
        "baseline_scaling_2_over_1",
        "p4_wall_speedup_2_workers",
        "peak_rss_per_worker_mb",
        "baseline_peak_rss_per_worker_mb",
        "rss_rest_per_worker_mb",
        "rss_after_per_worker_mb",
        "baseline_rss_rest_per_worker_mb",
        "tree_peak_2_workers_mb",
        "baseline_tree_peak_2_workers_mb",
    ):
        print(f"  {key:<34} {figures[key]:8.2f}")
    print("  load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in figures["load_average"]))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("-n", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--layouts", nargs="+", type=_layout, metavar="WxT", help="compare workers x threads layouts"
    )
    args = parser.parse_args(argv)
    if args.layouts:
        figures = measure_layouts(args.layouts, args.images, args.n, args.rounds)
        print(f"layouts on {figures['images']} images, median of {figures['rounds']} rounds")
        for name, rate in figures["images_per_s"].items():
            print(f"  {name:<6} {rate:6.3f} images/s  {figures['vs_first'][name]:5.2f}x")
        print("  load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in figures["load_average"]))
    else:
        figures = measure(args.images, args.n, args.rounds)
        print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
