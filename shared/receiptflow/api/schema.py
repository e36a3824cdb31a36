"""JSON Schema of the real-time events, generated from the pydantic models.

``python -m receiptflow.api.schema`` writes it to ``docs/events.schema.json`` (``--out`` elsewhere);
``--check`` exits 1 when that file is out of date, as a test does.
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


def main(argv: Sequence[str] | None = None) -> int:
    """Write the events schema to ``--out``, or ``--check`` that the file there is up to date."""
    parser = argparse.ArgumentParser(
        prog="python -m receiptflow.api.schema", description="JSON Schema of the real-time events."
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"file to write (default {DEFAULT_OUT})"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when --out differs, write nothing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            sys.stderr.write(f"{args.out} is out of date: run python -m receiptflow.api.schema\n")
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
