"""Pipeline overhead and cache speed-up, measured in one run on the same images at the same parallelism.

    .venv/bin/python bench/pipeline_overhead.py [--images DIR] [-n 20] [--workers 2]

1. raw: the OCR engine alone (``OcrEngine.read`` on each file) in a pool of spawned worker processes;
2. cold: ``LocalRoot.run_to_end`` (the batch service and process pool: intake, hashing, cache, OCR,
   extraction, checks, SQLite, events) on a fresh data dir, same pool size — target ``cold / raw <= 1.05``;
3. warm: a new batch over the same files on the same data dir (every item a cache hit) — target
   ``cold / warm >= 50`` (ideally >= 100).
Each wall time includes starting that run's worker pool. With ``--repeats N`` raw and cold alternate N
times and the fastest of each counts (the machine may be shared). Beside the wall-time ratio, the CPU
ratio (main process + workers, user + system) is printed: it does not move with other load.
``measure()`` returns the figures as a dict for ``bench/run.py``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from receiptflow.settings import Settings

DEFAULT_IMAGES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sroie-train" / "img"

_engine: Any = None


def _init_raw(settings: Settings) -> None:
    global _engine
    from receiptflow.adapters.ocr.engine import OcrEngine, engine_config

    _engine = OcrEngine(engine_config(settings))


def _ocr_file(path: str) -> int:
    from PIL import Image
    from receiptflow.document import PageImage

    data = Path(path).read_bytes()
    with Image.open(path) as im:
        width, height = im.size
    return len(_engine.read(PageImage(data=data, media_type="image/jpeg", width=width, height=height)))


def cpu_seconds() -> float:
    """User + system CPU of this process and its reaped children so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def raw_ocr_seconds(paths: Sequence[Path], settings: Settings) -> float:
    """Wall time of the bare OCR engine over ``paths`` on ``settings.workers`` processes."""
    start = time.perf_counter()
    with ProcessPoolExecutor(
        max_workers=settings.workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_raw,
        initargs=(settings,),
    ) as pool:
        lines = list(pool.map(_ocr_file, map(str, paths)))
    elapsed = time.perf_counter() - start
    if not all(lines):
        raise RuntimeError("the raw engine read no text on some image")
    return elapsed


def _run_batch(batch_id: str, paths: Sequence[Path], settings: Settings) -> tuple[float, float, Any]:
    """Wall seconds of one batch run over ``paths``, seconds to its first result event, the batch."""
    from receiptflow.models import Batch, BatchItem, Event, ResultEvent
    from receiptflow.wiring.local import LocalRoot

    root = LocalRoot(settings)
    batch = root.batches.create(Batch(batch_id=batch_id))
    root.batches.add_items(
        batch,
        [
            BatchItem(batch_id=batch_id, item_id=f"{i:05d}", source=p.name, blob_key=str(p))
            for i, p in enumerate(paths)
        ],
    )
    first: list[float] = []
    start = time.perf_counter()

    def on_event(event: Event) -> None:
        if isinstance(event, ResultEvent) and not first:
            first.append(time.perf_counter() - start)

    root.hub.subscribe(batch_id, on_event)
    try:
        batch = root.run_to_end(batch)
    finally:
        root.shutdown()
    return time.perf_counter() - start, (first[0] if first else float("nan")), batch


def measure(
    images: Path = DEFAULT_IMAGES, n: int = 20, workers: int = 2, repeats: int = 1
) -> dict[str, float]:
    """Run raw and cold (alternating, ``repeats`` times, fastest counts), then warm, on the first ``n``
    images of ``images``; return every figure."""
    paths = sorted(images.glob("*.jpg"))[:n]
    if not paths:
        raise FileNotFoundError(f"no .jpg images in {images}")
    for p in paths:  # same OS page cache for every run
        p.read_bytes()
    raws, colds, firsts, raw_cpus, cold_cpus = [], [], [], [], []
    with tempfile.TemporaryDirectory(prefix="rf-bench-") as tmp:
        for round_ in range(repeats):
            settings = Settings(data_dir=Path(tmp) / f"round{round_}", workers=workers)
            cpu = cpu_seconds()
            raws.append(raw_ocr_seconds(paths, settings))
            raw_cpus.append(cpu_seconds() - cpu)
            cpu = cpu_seconds()
            cold, first_result, cold_batch = _run_batch("bench-cold", paths, settings)
            cold_cpus.append(cpu_seconds() - cpu)
            colds.append(cold)
            firsts.append(first_result)
            if cold_batch.counts.succeeded != len(paths):
                raise RuntimeError(f"unexpected cold outcome: {cold_batch.counts}")
        warm, _, warm_batch = _run_batch("bench-warm", paths, settings)
    if warm_batch.counts.cached != len(paths):
        raise RuntimeError(f"unexpected warm outcome: {warm_batch.counts}")
    raw, cold = min(raws), min(colds)
    return {
        "images": len(paths),
        "workers": workers,
        "repeats": repeats,
        "raw_ocr_s": raw,
        "pipeline_cold_s": cold,
        "pipeline_warm_s": warm,
        "first_result_s": min(firsts),
        "overhead_ratio": cold / raw,
        "overhead_cpu_ratio": min(cold_cpus) / min(raw_cpus),
        "cache_speedup": cold / warm,
    }


def print_table(figures: dict[str, float]) -> None:
    """One table: raw vs pipeline, cold vs warm, with the targets."""
    n, w = int(figures["images"]), int(figures["workers"])
    rows = [
        ("raw OCR engine", f"{figures['raw_ocr_s']:.2f} s", ""),
        ("scan pipeline (cold cache)", f"{figures['pipeline_cold_s']:.2f} s", ""),
        ("pipeline overhead  cold / raw", f"{figures['overhead_ratio']:.3f}", "target <= 1.05"),
        ("  same, in CPU seconds", f"{figures['overhead_cpu_ratio']:.3f}", ""),
        ("scan pipeline (warm cache)", f"{figures['pipeline_warm_s']:.3f} s", ""),
        ("cache speed-up  cold / warm", f"{figures['cache_speedup']:.0f}x", "target >= 50 (ideally >= 100)"),
        ("first result event (cold)", f"{figures['first_result_s']:.2f} s", ""),
    ]
    print(f"pipeline overhead on {n} images, {w} worker processes")
    width = max(len(r[0]) for r in rows)
    for name, value, target in rows:
        print(f"  {name:<{width}}  {value:>10}  {target}")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--images", type=Path, default=DEFAULT_IMAGES)
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    print_table(measure(args.images, args.n, args.workers, args.repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
