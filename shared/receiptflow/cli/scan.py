"""``receiptflow scan PATH...``: scan files and folders into expense records, resumably.

Folders are walked recursively (hidden folders such as ``.git`` skipped); every regular file in them is
an item, dot-files included, its type decided by content, so a stray ``.txt`` or ``.DS_Store`` becomes an
``unsupported_type`` row rather than vanishing. The batch id is a hash of the sorted
absolute file paths, the provider and the cache mode, so running the same command again resumes the same
batch (also after ``kill -9``): finished items come from the store, the rest (cancelled ones included)
are scanned. A new batch over files already seen (copies, other paths) is answered from the content-hash
cache. Ctrl-C (or SIGTERM) cancels the batch: no further image starts, the ones in flight finish; a second
Ctrl-C quits at once.
Output: a progress bar on stderr, a summary table at the end (stdout, or stderr when ``--out -``),
and with ``--out`` every item once, in path order: CSV for ``*.csv``, JSON Lines (one ``ScanResult``
per line) otherwise, to stdout for ``-``. Exit codes: 0 when the batch completed (per-item errors are
rows), 130 after Ctrl-C, 2 on usage errors, 1 when the database stayed unavailable (rerun to resume).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path, PurePath
from types import FrameType
from typing import TYPE_CHECKING, TextIO

from receiptflow.wiring.providers import PROVIDER_NAMES

if TYPE_CHECKING:
    from rich.console import Console

    from receiptflow.models import Batch, BatchItem, Event
    from receiptflow.settings import Settings
    from receiptflow.wiring.local import LocalRoot

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
TABLE_ROWS_MAX = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``receiptflow scan``."""
    parser.add_argument("paths", nargs="+", metavar="PATH", help="image/PDF files or folders (walked)")
    parser.add_argument(
        "--out", metavar="FILE", help="write every result: .csv for CSV, else JSON Lines; '-' for stdout"
    )
    parser.add_argument("--workers", type=int, metavar="N", help="worker processes (default: settings)")
    parser.add_argument("--provider", choices=PROVIDER_NAMES, help="provider (default: settings, 'local')")
    parser.add_argument(
        "--no-cache", action="store_true", help="do not read the result cache (new results are still stored)"
    )
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="where the database lives")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or table, one summary line")


def collect_files(paths: list[str]) -> list[Path]:
    """Absolute regular files named by ``paths``; folders are walked, skipping hidden folders only.

    ``FileNotFoundError`` names a path that does not exist."""
    found: set[Path] = set()
    for raw in paths:
        path = Path(raw).absolute()
        if path.is_dir():
            found.update(_walk(path))
        elif path.is_file():
            found.add(path)
        else:
            raise FileNotFoundError(raw)
    return sorted(found)


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file():
                yield path


def batch_id_for(files: list[Path], provider: str, use_cache: bool = True) -> str:
    """Stable id of a scan over exactly these files with this provider and cache mode."""
    mode = "cache" if use_cache else "no-cache"
    digest = hashlib.sha256("\n".join([provider, mode, *map(str, files)]).encode()).hexdigest()
    return f"scan-{digest[:20]}"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _settings(args: argparse.Namespace) -> Settings:
    from receiptflow.settings import get_settings

    update: dict[str, object] = {}
    if args.data_dir is not None:
        update["data_dir"] = args.data_dir.absolute()
    if args.workers is not None:
        update["workers"] = args.workers
    if args.provider is not None:
        update["provider"] = args.provider
    return get_settings().model_copy(update=update)


def ensure_batch(root: LocalRoot, files: list[Path], settings: Settings, use_cache: bool) -> Batch:
    """The batch for these files: created with its items on the first run, found on later runs."""
    from receiptflow.errors import ConflictError, NotFoundError
    from receiptflow.models import Batch, BatchItem, BatchOptions, BatchStatus

    batch_id = batch_id_for(files, settings.provider, use_cache)
    try:
        batch = root.batches.get("local", batch_id)
    except NotFoundError:
        batch = Batch(
            batch_id=batch_id,
            name="scan",
            expected_files=len(files),
            options=BatchOptions(provider=settings.provider, use_cache=use_cache),
        )
        try:
            batch = root.batches.create(batch)
        except ConflictError:  # a concurrent run created it first
            batch = root.batches.get("local", batch_id)
    if batch.status is BatchStatus.CREATED:
        width = max(6, len(str(len(files))))
        items = [
            BatchItem(batch_id=batch_id, item_id=f"{i:0{width}d}", source=_display(p), blob_key=str(p))
            for i, p in enumerate(files)
        ]
        root.batches.add_items(batch, items)
    return root.batches.get("local", batch_id)


def write_out(target: str, items: list[BatchItem]) -> None:
    """Write all items as CSV (``*.csv``) or JSON Lines to ``target`` (``-`` = stdout)."""
    from receiptflow.export import write_csv, write_jsonl

    def write(fp: TextIO) -> None:
        (write_csv if target.lower().endswith(".csv") else write_jsonl)(items, fp)

    if target == "-":
        write(sys.stdout)
        sys.stdout.flush()
        return
    out = Path(target)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fp:
        write(fp)
    os.replace(tmp, out)


def _install_signals(interrupted: threading.Event, console: Console) -> None:
    """First Ctrl-C or SIGTERM: cancel (no further image starts, the ones in flight finish). Second: exit at
    once, like a crash; items in flight stay ``running`` and the next run scans them again."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if interrupted.is_set():
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        interrupted.set()
        console.print("stopping: finishing the images in flight (Ctrl-C again to quit now)")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace) -> int:
    """Scan, write ``--out``, print the summary; returns the exit code."""
    from rich.console import Console

    err = Console(stderr=True)
    if args.workers is not None and args.workers < 1:
        err.print("[red]error:[/] --workers must be at least 1")
        return EXIT_USAGE
    try:
        files = collect_files(args.paths)
    except FileNotFoundError as e:
        err.print(f"[red]error:[/] no such file or folder: {e}")
        return EXIT_USAGE
    if not files:
        err.print("[red]error:[/] no files to scan")
        return EXIT_USAGE
    return _scan(args, files, err)


def _scan(args: argparse.Namespace, files: list[Path], err: Console) -> int:
    from rich.console import Console

    from receiptflow.batches.events import pace
    from receiptflow.errors import StoreUnavailableError
    from receiptflow.paging import iter_items
    from receiptflow.wiring.local import LocalRoot

    settings = _settings(args)
    root = LocalRoot(settings, event_history=1)
    interrupted = threading.Event()
    _install_signals(interrupted, err)
    try:
        batch = ensure_batch(root, files, settings, use_cache=not args.no_cache)
        view = ProgressView(err, batch, enabled=not args.quiet)
        unsubscribe = root.hub.subscribe(batch.batch_id, view.on_event)
        try:
            with view:
                final = root.run_to_end(batch, interrupt=interrupted)
        finally:
            unsubscribe()
        items = list(iter_items(root.store, batch.batch_id))
    except StoreUnavailableError as e:  # results so far are kept; the same command resumes
        err.print(f"[red]error:[/] {e.message}; run the same command again to resume")
        return EXIT_FAILED
    finally:
        root.shutdown()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    if args.out:
        write_out(args.out, items)
    table_console = err if args.out == "-" else Console()
    quiet = args.quiet or len(items) > TABLE_ROWS_MAX
    took = pace(final)
    print_summary(table_console, final, items, quiet=quiet, duration_s=took.elapsed_s, rate=took.rate)
    return EXIT_INTERRUPTED if interrupted.is_set() else EXIT_OK


class ProgressView:
    """A rich progress bar on stderr fed by the batch's events (done/total, rate, ETA, cache, failures)."""

    def __init__(self, console: Console, batch: Batch, *, enabled: bool) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]scanning"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.2f} img/s"),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("cache {task.fields[cache]}"),
            TextColumn("[red]failed {task.fields[failed]}"),
            console=console,
            disable=not enabled,
        )
        counts = batch.counts
        self._task = self._progress.add_task(
            "scan",
            total=counts.total,
            completed=counts.done,
            rate=0.0,
            eta="-",
            cache="0%",
            failed=counts.failed,
        )

    def __enter__(self) -> ProgressView:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def on_event(self, event: Event) -> None:
        """Update the bar from one runner event."""
        from receiptflow.models import CompleteEvent, ErrorEvent, ProgressEvent, ResultEvent

        if isinstance(event, ResultEvent | ErrorEvent):
            self._progress.advance(self._task)
        elif isinstance(event, ProgressEvent):
            eta = f"{event.eta_seconds:.0f}s" if event.eta_seconds is not None else "-"
            hit_rate = f"{event.cache_hits / event.done:.0%}" if event.done else "0%"
            self._progress.update(
                self._task,
                completed=event.done,
                total=event.total,
                rate=event.rate,
                eta=eta,
                cache=hit_rate,
                failed=event.failed,
            )
        elif isinstance(event, CompleteEvent):
            self._progress.update(self._task, completed=event.counts.done)


def short_sources(sources: list[str]) -> list[str]:
    """Sources without the folder they all share, so a narrow table still shows the file names."""
    if len(sources) < 2:
        return [PurePath(s).name or s for s in sources]
    try:
        common = os.path.commonpath([str(PurePath(s).parent) for s in sources])
    except ValueError:  # mixed absolute and relative paths
        return sources
    return [os.path.relpath(s, common) if common else s for s in sources]


def print_summary(
    console: Console, batch: Batch, items: list[BatchItem], *, quiet: bool, duration_s: float, rate: float
) -> None:
    """Per-item rows (unless ``quiet``) and a totals line."""
    from rich.table import Table

    from receiptflow.export import item_result

    if not quiet:
        table = Table(title=f"batch {batch.batch_id}")
        table.add_column("source", overflow="fold", ratio=3)
        table.add_column("status", no_wrap=True)
        table.add_column("vendor", overflow="fold", ratio=3)
        table.add_column("date", no_wrap=True)
        table.add_column("total", justify="right", no_wrap=True)
        shown = short_sources([item.source for item in items])
        for item, source in zip(items, shown, strict=True):
            result = item_result(item)
            receipt = result.receipt
            if result.error is not None:
                status = f"[red]{result.error.code}"
            else:
                status = result.status.value + (" (cached)" if result.cached else "")
            table.add_row(
                source,
                status,
                (receipt.vendor_name.value or "") if receipt else "",
                str(receipt.date.value or "") if receipt else "",
                str(receipt.total.value or "") if receipt else "",
            )
        console.print(table)
    c = batch.counts
    speed = f", {rate:.2f} images/s" if rate > 0 else ""
    console.print(
        f"{c.total} images: {c.succeeded} ok, {c.failed} failed, {c.cancelled} cancelled, "
        f"{c.cached} from cache; status {batch.status.value} in {duration_s:.1f} s{speed}"
    )
