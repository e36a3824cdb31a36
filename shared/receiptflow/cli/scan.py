"""``receiptflow scan PATH...``: scan files and folders into expense records, resumably.

Folders are walked recursively; every directory entry is an item or a counted skip (:func:`collect`).
Every regular file is an item, dot-files included, its type decided by content, so a stray ``.txt`` or
``.DS_Store`` becomes an ``unsupported_type`` row rather than vanishing; FIFOs, sockets, devices, dangling
links, link loops, links leading out of the scanned folder and folders that cannot be listed are error
rows (``not_a_regular_file``, ``dangling_symlink``, ``symlink_loop``, ``symlink_outside_root``,
``folder_unreadable``); hidden folders such as ``.git`` and links to folders already walked are skipped,
and the summary says how many. Names are printed as text (``receiptflow.cli.text.safe``).
The batch id is a hash of the sorted absolute file paths, the provider and the cache mode, so running
the same command again resumes the same batch (also after ``kill -9``): finished items come from the
store, the rest (cancelled ones included) are scanned. A new batch over files already seen (copies, other
paths) is answered from the content-hash cache. Ctrl-C or SIGTERM cancels the batch: no further image
starts, the ones in flight finish; a second Ctrl-C quits at once.
Output: a progress bar on stderr, a summary table at the end (stdout, or stderr when ``--out -``),
and with ``--out`` every item once, in path order: CSV for ``*.csv``, JSON Lines (one ``ScanResult``
per line) otherwise, to stdout for ``-``. Exit codes: 0 when the batch completed (per-item errors are
rows), 130 after Ctrl-C, 2 on usage errors (one ``error:`` line: bad ``--workers``, a path that does
not exist, an ``--out`` that is a folder or cannot be written), 1 when the database stayed unavailable
(rerun to resume).
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import os
import signal
import stat
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from types import FrameType
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote_from_bytes

from receiptflow.cli.text import safe
from receiptflow.errors import ReceiptflowError
from receiptflow.intake.files import FS_BYTES_PREFIX, file_kind
from receiptflow.wiring.providers import PROVIDER_NAMES

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from receiptflow.models import Batch, BatchItem, Event
    from receiptflow.settings import Settings
    from receiptflow.wiring.capacity import WorkerChoice
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


@dataclass
class Collected:
    """What a scan covers: every file to read, every entry that is an error row, and what was skipped.

    ``files`` maps the path shown for an item to the path read (the same, or a symlink's target inside
    the scanned folder); ``rejected`` maps a path to the typed error its row gets."""

    files: dict[Path, Path] = field(default_factory=dict)
    rejected: dict[Path, ReceiptflowError] = field(default_factory=dict)
    hidden_folders: int = 0
    linked_folders: int = 0

    @property
    def paths(self) -> list[Path]:
        """Every item's path, sorted: the files and the rejected entries."""
        return sorted({*self.files, *self.rejected})

    @property
    def skipped(self) -> int:
        """Entries deliberately not walked (hidden folders, links to folders already walked)."""
        return self.hidden_folders + self.linked_folders


def collect_files(paths: list[str]) -> list[Path]:
    """Every item path named by ``paths`` (see :func:`collect`); ``FileNotFoundError`` names a path
    that does not exist."""
    return collect(paths).paths


def collect(paths: list[str]) -> Collected:
    """Walk ``paths``: every directory entry becomes an item, an error row, or a counted skip.

    Folders are walked recursively, hidden folders (``.git``) skipped and counted. Regular files are
    items. A symlink is followed only when its target stays inside the scanned folder: a link to a file
    there is an item read through its target, a link to a folder there is skipped (its files are walked
    where they live); links leading outside, dangling links and loops are error rows, and so are FIFOs,
    sockets, devices and folders that cannot be listed. Paths named on the command line are taken as
    given (a symlink named there is followed). ``FileNotFoundError`` names a path that does not exist."""
    from receiptflow.errors import NotRegularFileError

    found = Collected()
    for raw in paths:
        path = Path(raw).absolute()
        if not os.path.lexists(path):
            raise FileNotFoundError(raw)
        try:
            target = path.resolve(strict=True)
            mode = target.stat().st_mode
        except (OSError, RuntimeError) as e:
            found.rejected[path] = _link_error(e, path)
            continue
        if stat.S_ISDIR(mode):
            _walk(path, target, found)
        elif stat.S_ISREG(mode):
            found.files[path] = target
        else:
            found.rejected[path] = NotRegularFileError(f"{file_kind(mode)}, not a regular file")
    return found


def _link_error(error: OSError | RuntimeError, path: Path) -> ReceiptflowError:
    """The typed error of a path that cannot be resolved (``Path.resolve`` raises ``RuntimeError`` for
    a symlink loop on Python 3.11, ``OSError(ELOOP)`` later)."""
    from receiptflow.errors import DanglingSymlinkError, FileReadError, SymlinkLoopError

    if isinstance(error, RuntimeError) or error.errno == errno.ELOOP:
        return SymlinkLoopError("the symbolic link resolves to itself")
    if isinstance(error, FileNotFoundError) and path.is_symlink():
        return DanglingSymlinkError(
            f"the symbolic link points to {os.readlink(path)!r}, which does not exist"
        )
    return FileReadError(error.strerror or str(error))


def _walk(top: Path, root: Path, found: Collected) -> None:
    """Walk ``top`` (iteratively: any depth) into ``found``; ``root`` is the resolved scanned folder."""
    folders = [top]
    while folders:
        _walk_one(folders.pop(), root, found, folders)


def _walk_one(folder: Path, root: Path, found: Collected, folders: list[Path]) -> None:
    from receiptflow.errors import FolderUnreadableError, NotRegularFileError, SymlinkOutsideRootError

    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as e:
        found.rejected[folder] = FolderUnreadableError(f"the folder cannot be listed: {e.strerror or e}")
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError as e:
            found.rejected[path] = _link_error(e, path)
            continue
        if stat.S_ISLNK(mode):
            try:
                target = path.resolve(strict=True)
                mode = target.stat().st_mode
            except (OSError, RuntimeError) as e:
                found.rejected[path] = _link_error(e, path)
                continue
            if not target.is_relative_to(root):
                found.rejected[path] = SymlinkOutsideRootError(
                    "the symbolic link points outside the scanned folder; not followed"
                )
            elif stat.S_ISDIR(mode):
                found.linked_folders += 1
            elif stat.S_ISREG(mode):
                found.files[path] = target
            else:
                found.rejected[path] = NotRegularFileError(f"links to {file_kind(mode)}, not a regular file")
        elif stat.S_ISDIR(mode):
            if entry.name.startswith("."):
                found.hidden_folders += 1
            else:
                folders.append(path)
        elif stat.S_ISREG(mode):
            found.files[path] = path
        else:
            found.rejected[path] = NotRegularFileError(f"{file_kind(mode)}, not a regular file")


def batch_id_for(files: list[Path], provider: str, use_cache: bool = True) -> str:
    """Stable id of a scan over exactly these files with this provider and cache mode."""
    mode = "cache" if use_cache else "no-cache"
    text = b"\n".join([provider.encode(), mode.encode(), *map(os.fsencode, files)])
    return f"scan-{hashlib.sha256(text).hexdigest()[:20]}"


def blob_key_for(path: Path) -> str:
    """An item's blob key for a file: its absolute path, or (for a name that is not valid UTF-8, which
    text storage cannot hold) its bytes percent-encoded after ``fs:`` (see ``read_source``)."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return FS_BYTES_PREFIX + quote_from_bytes(os.fsencode(path), safe="/")
    return text


def _display(path: Path) -> str:
    """The item's source label: the path relative to the working folder, control characters and
    undecodable bytes written as escapes."""
    try:
        return safe(str(path.relative_to(Path.cwd())))
    except ValueError:
        return safe(str(path))


def _settings(args: argparse.Namespace) -> tuple[Settings, WorkerChoice]:
    """The settings of this scan (worker count resolved) and how the worker count was chosen."""
    from receiptflow.settings import get_settings
    from receiptflow.wiring.capacity import resolve_workers

    update: dict[str, object] = {}
    if args.data_dir is not None:
        update["data_dir"] = args.data_dir.absolute()
    if args.workers is not None:
        update["workers"] = args.workers
    if args.provider is not None:
        update["provider"] = args.provider
    settings = get_settings().model_copy(update=update)
    by = "--workers" if args.workers is not None else "RECEIPTFLOW_WORKERS"
    choice = resolve_workers(settings, requested_by=by)
    return choice.apply(settings), choice


def ensure_batch(
    root: LocalRoot,
    files: list[Path] | Collected,
    settings: Settings,
    use_cache: bool,
) -> Batch:
    """The batch for these paths: created with its items on the first run, found on later runs.

    Each rejected entry (a FIFO, a dangling link, ...) is an item finished at once with its typed error,
    so every entry of the folder has its row."""
    from receiptflow.errors import ConflictError, NotFoundError
    from receiptflow.models import Batch, BatchItem, BatchOptions, BatchStatus, error_result

    collected = files if isinstance(files, Collected) else Collected(files={p: p for p in files})
    paths = collected.paths
    batch_id = batch_id_for(paths, settings.provider, use_cache)
    batches = root.batches
    try:
        batch = batches.get("local", batch_id)
    except NotFoundError:
        batch = Batch(
            batch_id=batch_id,
            name="scan",
            expected_files=len(paths),
            options=BatchOptions(provider=settings.provider, use_cache=use_cache),
        )
        try:
            batch = batches.create(batch)
        except ConflictError:  # a concurrent run created it first
            batch = batches.get("local", batch_id)
    if batch.status is BatchStatus.CREATED:
        width = max(6, len(str(len(paths))))
        items = [
            BatchItem(
                batch_id=batch_id,
                item_id=f"{i:0{width}d}",
                source=_display(p),
                blob_key=blob_key_for(collected.files.get(p, p)),
            )
            for i, p in enumerate(paths)
        ]
        batches.add_items(batch, items)
        for item, path in zip(items, paths, strict=True):
            rejected = collected.rejected.get(path)
            if rejected is not None:  # False when a previous run already recorded it
                batches.record_result(
                    "local", batch_id, item.item_id, error_result(rejected, item.source, None)
                )
    return batches.get("local", batch_id)


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
    try:
        with tmp.open("w", encoding="utf-8", newline="", errors="surrogateescape") as fp:
            write(fp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def check_out(target: str) -> str | None:
    """Why ``--out target`` cannot be written (checked before the scan), or None when it can."""
    if target == "-":
        return None
    out = Path(target)
    if out.is_dir():
        return f"--out {safe(target)} is a folder; name a file"
    if out.exists() and not os.access(out, os.W_OK):
        return f"--out {safe(target)} is not writable"
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return f"--out {safe(target)}: {safe(str(parent))} is not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"--out {safe(target)}: cannot write in {safe(str(parent))}"
    return None


def _install_signals(interrupted: threading.Event, console: Console) -> None:
    """First Ctrl-C or SIGTERM: cancel (no further image starts, the ones in flight finish). Second: exit
    at once, like a crash; items in flight stay ``running`` and the next run scans them again."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if interrupted.is_set():
            sys.stderr.flush()
            os._exit(EXIT_INTERRUPTED)
        interrupted.set()
        console.print("stopping: finishing the images in flight (Ctrl-C again to quit now)", markup=False)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def run(args: argparse.Namespace) -> int:
    """Scan, write ``--out``, print the summary; returns the exit code."""
    from rich.console import Console

    err = Console(stderr=True, highlight=False, emoji=False)
    if args.workers is not None and args.workers < 1:
        return usage_error(err, "--workers must be at least 1")
    if args.out and (problem := check_out(args.out)):
        return usage_error(err, problem)
    try:
        collected = collect(args.paths)
    except FileNotFoundError as e:
        return usage_error(err, f"no such file or folder: {safe(str(e))}")
    except OSError as e:
        return usage_error(err, f"cannot read {safe(str(e.filename or ''))}: {e.strerror or e}")
    if not collected.paths:
        return usage_error(err, "no files to scan")
    return _scan(args, collected, err)


def usage_error(console: Console, message: str) -> int:
    """Print one ``error:`` line (``message`` is text, never markup) and return the usage exit code."""
    from rich.text import Text

    console.print(Text.assemble(("error:", "red"), " ", safe(message)), soft_wrap=True)
    return EXIT_USAGE


def _scan(args: argparse.Namespace, collected: Collected, err: Console) -> int:
    from rich.console import Console
    from rich.text import Text

    from receiptflow.batches.events import pace
    from receiptflow.errors import StoreUnavailableError
    from receiptflow.paging import iter_items
    from receiptflow.wiring.local import LocalRoot

    settings, workers = _settings(args)
    if not args.quiet:
        err.print(Text(workers.line), soft_wrap=True)
    root = LocalRoot(settings, event_history=1)
    interrupted = threading.Event()
    _install_signals(interrupted, err)
    try:
        batch = ensure_batch(root, collected, settings, use_cache=not args.no_cache)
        view = ProgressView(err, batch, enabled=not args.quiet)
        unsubscribe = root.hub.subscribe(batch.batch_id, view.on_event)
        try:
            with view:
                final = root.run_to_end(batch, interrupt=interrupted)
        finally:
            unsubscribe()
        items = list(iter_items(root.store, batch.batch_id))
    except StoreUnavailableError as e:  # results so far are kept; the same command resumes
        err.print(Text(f"error: {safe(e.message)}; run the same command again to resume", style="red"))
        return EXIT_FAILED
    finally:
        root.shutdown()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    if args.out:
        try:
            write_out(args.out, items)
        except OSError as e:
            return usage_error(err, f"cannot write --out {args.out}: {e.strerror or e}")
    table_console = err if args.out == "-" else Console(highlight=False, emoji=False)
    quiet = args.quiet or len(items) > TABLE_ROWS_MAX
    took = pace(final)
    print_summary(
        table_console,
        final,
        items,
        quiet=quiet,
        duration_s=took.elapsed_s,
        rate=took.rate,
        skipped=collected.skipped,
    )
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
        """Update the bar from one batch event."""
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
    console: Console,
    batch: Batch,
    items: list[BatchItem],
    *,
    quiet: bool,
    duration_s: float,
    rate: float,
    skipped: int = 0,
) -> None:
    """Per-item rows (unless ``quiet``) and a totals line. Every name and value is printed as text:
    never parsed as markup, control characters shown as escapes."""
    from rich.table import Table
    from rich.text import Text

    from receiptflow.export import item_result

    if not quiet:
        table = Table(title=Text(f"batch {safe(batch.batch_id)}"))
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
                status = _text(result.error.code, "red")
            else:
                status = _text(result.status.value + (" (cached)" if result.cached else ""))
            table.add_row(
                _text(source),
                status,
                _text((receipt.vendor_name.value or "") if receipt else ""),
                _text(str(receipt.date.value or "") if receipt else ""),
                _text(str(receipt.total.value or "") if receipt else ""),
            )
        console.print(table)
    c = batch.counts
    speed = f", {rate:.2f} images/s" if rate > 0 else ""
    skips = f"; {skipped} skipped (hidden folders, links to folders already walked)" if skipped else ""
    console.print(
        Text(
            f"{c.total} images: {c.succeeded} ok, {c.failed} failed, {c.cancelled} cancelled, "
            f"{c.cached} from cache; status {batch.status.value} in {duration_s:.1f} s{speed}{skips}"
        ),
        soft_wrap=True,
    )


def _text(value: str, style: str = "") -> Text:
    from rich.text import Text

    return Text(safe(value), style=style)
