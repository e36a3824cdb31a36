"""``receiptflow eval``: accuracy of the local pipeline on a labelled dataset (SROIE task-3 protocol)."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``receiptflow eval``."""
    parser.add_argument(
        "dataset",
        type=Path,
        help="folder with img/<key>.jpg and gt/<key>.json (also key/ or entities/ with .json/.txt labels)",
    )
    parser.add_argument("--json", dest="json_path", type=Path, help="write the report as JSON here")
    parser.add_argument(
        "--split",
        choices=("all", "val", "train"),
        default="all",
        help="fixed split of the shared training data (see docs/accuracy.md); default all",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes (one OCR thread each)")
    parser.add_argument("--limit", type=int, help="evaluate only the first N keys")


def _pct(value: float | int | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print_report(console: Console, report: dict[str, Any]) -> None:
    table = Table(title=f"Accuracy on {report['n']} receipts (exact match, SROIE task-3)")
    for column in ("field", "accuracy", "conf ≥ 0.9", "n ≥ 0.9", "conf < 0.9", "n < 0.9"):
        table.add_column(column, justify="left" if column == "field" else "right")
    for name, acc in report["fields"].items():
        cal = report["calibration"][name]
        table.add_row(
            name,
            _pct(acc),
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


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table and write the JSON report; 2 when the dataset holds nothing to score."""
    from receiptflow.evaluation.dataset import image_keys, load_samples
    from receiptflow.evaluation.runner import build_report, run_samples
    from receiptflow.evaluation.split import select_keys
    from receiptflow.settings import get_settings

    console = Console()
    root: Path = args.dataset
    samples = load_samples(root)
    wanted = set(select_keys([s.key for s in samples], image_keys(root), args.split))
    samples = [s for s in samples if s.key in wanted][: args.limit]
    if not samples:
        console.print(f"[red]no labelled images found in {root} (split {args.split})[/red]")
        return 2
    settings = get_settings().model_copy(update={"ocr_threads": 1})
    start = time.perf_counter()
    with Progress(
        TextColumn("eval"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console
    ) as progress:
        task = progress.add_task("eval", total=len(samples))
        outcomes = run_samples(
            samples, settings, workers=max(1, args.workers), on_done=lambda _o: progress.advance(task)
        )
    report = build_report(samples, outcomes, time.perf_counter() - start).to_json()
    _print_report(console, report)
    if args.json_path:
        args.json_path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
        console.print(f"report written to {args.json_path}")
    return 0
