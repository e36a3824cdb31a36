"""JSON Schema of the real-time events, generated from the pydantic models.

``python -m receiptflow.api.events_schema [--out FILE] [--check]`` writes it (default
``docs/events.schema.json``) or, with ``--check``, exits 1 when the file differs; a test checks the committed
file is up to date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from receiptflow.models import EVENT_ADAPTER

SCHEMA_ID = "urn:receiptflow:events"
DEFAULT_OUT = Path("docs/events.schema.json")


def events_schema() -> dict[str, Any]:
    """The schema of one event (a ``type``-discriminated union), as served over WebSocket and SSE."""
    schema = EVENT_ADAPTER.json_schema(mode="serialization")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "receiptflow progress event",
        "description": "One event of a batch: snapshot, progress, result, error or complete; `seq` "
        "increases by one per batch so clients can detect gaps.",
        **schema,
    }


def render() -> str:
    """The schema file's exact text."""
    return json.dumps(events_schema(), indent=2, sort_keys=True) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The command line: ``--out FILE`` (default ``docs/events.schema.json``) and ``--check``."""
    parser = argparse.ArgumentParser(
        prog="python -m receiptflow.api.events_schema",
        description="Write (or check) the JSON Schema of the real-time events.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="FILE", help=f"schema file (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when FILE is missing or out of date"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema to ``--out``, or compare it with ``--check``; returns the exit code."""
    args = build_parser().parse_args(argv)
    out: Path = args.out
    if args.check:
        current = out.read_text(encoding="utf-8") if out.is_file() else ""
        if current != render():
            sys.stderr.write(
                f"{out} is out of date; regenerate with: python -m receiptflow.api.events_schema\n"
            )
            return 1
        return 0
    out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
