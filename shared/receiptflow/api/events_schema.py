"""JSON Schema of everything the real-time channel carries, generated from pydantic models.

The top level is a ``type``-discriminated union of every message a server sends: the five events of a
batch (``snapshot``, ``progress``, ``result``, ``error``, ``complete``) and the WebSocket control
messages (``pong``, ``unsubscribed``, ``problem``). What clients send is in ``$defs/ClientMessage``.

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
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from receiptflow.models import (
    CompleteEvent,
    ErrorEvent,
    ProgressEvent,
    ResultEvent,
    SnapshotEvent,
)

SCHEMA_ID = "urn:receiptflow:events"
DEFAULT_OUT = Path("docs/events.schema.json")


class PongMessage(BaseModel):
    """The answer to ``{"action": "ping"}``."""

    type: Literal["pong"] = "pong"


class UnsubscribedMessage(BaseModel):
    """The answer to ``{"action": "unsubscribe", "batch_id": …}``: no more events of that batch."""

    type: Literal["unsubscribed"] = "unsubscribed"
    batch_id: str


class ProblemMessage(BaseModel):
    """A refused message or subscription (a missing batch and another tenant's look the same)."""

    type: Literal["problem"] = "problem"
    code: str = Field(description="stable error code, e.g. not_found, invalid_request")
    detail: str
    status: int | None = Field(default=None, description="the HTTP status the same problem would have")
    retryable: bool = False
    batch_id: str | None = None


class SubscribeAction(BaseModel):
    """Follow a batch: the server answers with a ``snapshot``, then every later event. With ``after`` (the
    last seq the client applied) it replays the missed events instead when it still holds all of them."""

    action: Literal["subscribe"]
    batch_id: str = Field(min_length=1, max_length=64)
    after: int | None = Field(default=None, ge=0)


class UnsubscribeAction(BaseModel):
    """Stop following a batch."""

    action: Literal["unsubscribe"]
    batch_id: str


class PingAction(BaseModel):
    """Keep-alive; the server answers ``pong``."""

    action: Literal["ping"]


ServerMessage = Annotated[
    ProgressEvent
    | ResultEvent
    | ErrorEvent
    | CompleteEvent
    | SnapshotEvent
    | PongMessage
    | UnsubscribedMessage
    | ProblemMessage,
    Field(discriminator="type"),
]
ClientMessage = Annotated[SubscribeAction | UnsubscribeAction | PingAction, Field(discriminator="action")]
SERVER_MESSAGE_ADAPTER: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
CLIENT_MESSAGE_ADAPTER: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


def events_schema() -> dict[str, Any]:
    """The schema of one server message; ``$defs/ClientMessage`` describes what clients send."""
    server = SERVER_MESSAGE_ADAPTER.json_schema(mode="serialization")
    client = CLIENT_MESSAGE_ADAPTER.json_schema(mode="serialization", ref_template="#/$defs/{model}")
    defs: dict[str, Any] = {**server.pop("$defs", {}), **client.pop("$defs", {})}
    defs["ClientMessage"] = {
        "description": "A message a client sends over the WebSocket.",
        **client,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "receiptflow real-time message",
        "description": "One message a server sends: an event of a batch (snapshot, progress, result, "
        "error, complete; `seq` increases by one per batch so clients can detect gaps) or a WebSocket "
        "control message (pong, unsubscribed, problem).",
        **server,
        "$defs": dict(sorted(defs.items())),
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
