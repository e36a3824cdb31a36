"""``receiptflow eval``: accuracy of the local pipeline on one or more labelled datasets."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

if TYPE_CHECKING:
    from receiptflow.evaluation.dataset import Sample


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``receiptflow eval``."""
    parser.add_argument(
        "datasets",
        type=Path,
        nargs="+",
        metavar="DATASET",
        help="folder with img/<key>.jpg and gt/<key>.json (also key/ or entities/ with .json/.txt labels); "
        "several folders are reported set by set",
    )
    parser.add_argument("--json", dest="json_path", type=Path, help="write the report as JSON here")
    parser.add_argument(
        "--split",
        choices=("all", "val", "train"),
        default="all",
        help="fixed split of the shared SROIE training data (see docs/accuracy.md); default all",
    )
    folds = parser.add_mutually_exclusive_group()
    folds.add_argument("--fold", help="only this cross-validation fold (0-4; 4 is held out)")
    folds.add_argument("--folds", help="only these folds, e.g. 0-3 or 0,2")
    parser.add_argument(
        "--set-name",
        help="set name the folds are drawn with (default: 'wild' or 'sroie' from the folder name)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one OCR thread each)")
    parser.add_argument("--limit", type=int, help="evaluate only the first N keys of each set")


@dataclass
class _Set:
    name: str
    path: Path
    samples: list[Sample]


def _pct(value: float | int | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_report(console: Console, title: str, report: dict[str, Any]) -> None:
    table = Table(title=f"{title}: {report['n']} receipts (exact match, SROIE task-3; lenient beside)")
    columns = ("field", "n", "accuracy", "lenient", "conf ≥ 0.9", "n ≥ 0.9", "conf < 0.9", "n < 0.9")
    for column in columns:
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, acc in report["fields"].items():
        cal = report["calibration"][name]
        table.add_row(
            name,
            str(report["scored"][name]),
            _pct(acc),
            _pct(report["lenient"][name]) if name in report["lenient"] else "",
            _pct(cal["high"]["accuracy"]),
            str(cal["high"]["n"]),
            _pct(cal["low"]["accuracy"]),
            str(cal["low"]["n"]),
        )
    console.print(table)
    bins = Table(title="Accuracy by confidence (right / fields in range)")
    bins.add_column("field")
    for b in report["calibration"]["total"]["bins"]:
        bins.add_column(b["range"], justify="right")
    for name in report["fields"]:
        cells = [f"{_pct(b['accuracy'])} ({b['n']})" for b in report["calibration"][name]["bins"]]
        bins.add_row(name, *cells)
    console.print(bins)
    if report["date_swapped"]:
        console.print(
            f"{report['date_swapped']} wrong dates are the truth with day and month swapped "
            "(the receipt's locale read otherwise than the label)"
        )
    console.print(
        f"seconds per image: pipeline {report['seconds_per_image']:.2f} s, "
        f"OCR engine alone {report['ocr_seconds_per_image']:.2f} s "
        f"(wall {report['wall_seconds']:.1f} s)"
    )
    errors = Table(title="Error examples", show_lines=False)
    for column in ("field", "key", "predicted", "truth", "conf"):
        errors.add_column(column, overflow="fold")
    for name, examples in report["errors"].items():
        for ex in examples:
            errors.add_row(name, ex["key"], str(ex["predicted"]), ex["truth"], f"{ex['confidence']:.2f}")
    if errors.row_count:
        console.print(errors)
    for failure in report["failures"]:
        console.print(f"[red]failed[/red] {failure['key']}: {failure['code']}")


def _print_summary(console: Console, reports: list[tuple[str, dict[str, Any]]]) -> None:
    table = Table(title="Per set (exact / lenient; n scored)")
    for column in ("set", "n", "company", "date", "address", "total", "s/image"):
        table.add_column(column, justify="left" if column == "set" else "right")
    for name, r in reports:
        cells = []
        for f in ("company", "date", "address", "total"):
            cell = f"{_pct(r['fields'][f])}"
            if f in r["lenient"]:
                cell += f" / {_pct(r['lenient'][f])}"
            cells.append(f"{cell} ({r['scored'][f]})")
        table.add_row(name, str(r["n"]), *cells, f"{r['seconds_per_image']:.2f}")
    console.print(table)


def _select(path: Path, args: argparse.Namespace) -> _Set:
    from receiptflow.evaluation.dataset import image_keys, load_samples
    from receiptflow.evaluation.split import fold_of, parse_folds, select_keys, set_name_of

    samples = load_samples(path)
    wanted = set(select_keys([s.key for s in samples], image_keys(path), args.split))
    name = args.set_name or set_name_of(path.resolve().name)
    spec = args.fold if args.fold is not None else args.folds
    if spec is not None:
        folds = parse_folds(spec)
        wanted = {k for k in wanted if fold_of(name, k) in folds}
    chosen = [s for s in samples if s.key in wanted][: args.limit]
    return _Set(name, path, chosen)


def _label(sets: list[_Set], index: int) -> str:
    """A set's title: its folder name, with its parent when two sets share a folder name."""
    names = [s.path.resolve().name for s in sets]
    path = sets[index].path.resolve()
    return path.name if names.count(path.name) == 1 else f"{path.parent.name}/{path.name}"


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the tables and write the JSON report; 2 when a dataset holds nothing to score."""
    from receiptflow.evaluation.runner import build_report, run_sets
    from receiptflow.settings import get_settings

    console = Console()
    try:
        sets = [_select(path, args) for path in args.datasets]
    except ValueError as e:
        console.print(f"[red]{e}[/red]")
        return 2
    for s in sets:
        if not s.samples:
            console.print(f"[red]no labelled images found in {s.path} (split {args.split})[/red]")
            return 2
    titles = [_label(sets, i) for i in range(len(sets))]
    settings = get_settings().model_copy(update={"ocr_threads": 1})
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as progress:
        tasks = [progress.add_task(t, total=len(s.samples)) for t, s in zip(titles, sets, strict=True)]
        results = run_sets(
            [s.samples for s in sets],
            settings,
            workers=max(1, args.workers),
            on_done=lambda i, _o: progress.advance(tasks[i]),
        )
    wall = time.perf_counter() - start
    per_set: list[tuple[str, dict[str, Any]]] = []
    for title, s, (outcomes, seconds) in zip(titles, sets, results, strict=True):
        report = build_report(s.samples, outcomes, seconds).to_json()
        per_set.append((title, report))
        _print_report(console, title, report)
    samples = [sample for s in sets for sample in s.samples]
    outcomes = [o for outs, _ in results for o in outs]
    combined = build_report(samples, outcomes, wall).to_json()
    if len(sets) > 1:
        _print_summary(console, per_set)
    if args.json_path:
        combined["sets"] = [
            {"name": title, "set": s.name, "path": str(s.path), **report}
            for (title, report), s in zip(per_set, sets, strict=True)
        ]
        args.json_path.write_text(json.dumps(combined, indent=2, default=str), encoding="utf-8")
        console.print(f"report written to {args.json_path}")
    return 0
