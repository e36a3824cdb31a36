"""JSON Schema of the real-time events, generated from the pydantic models.

``python -m receiptflow.api.schema [OUT]`` writes it (default ``docs/events.schema.json``);
a test checks the committed file is up to date.
"""

from __future__ import annotations

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
    """Write the schema to ``argv[0]`` (default ``docs/events.schema.json``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
