"""JSON Schema of everything the real-time channel carries, generated from pydantic models.

The top level is a ``type``-discriminated union of every message a server sends: the five events of a
batch (``snapshot``, ``progress``, ``result``, ``error``, ``complete``) and the WebSocket control
messages (``pong``, ``unsubscribed``, ``problem``). What clients send is in ``$defs/ClientMessage``.

``python -m receiptflow.api.schema [OUT]`` writes it (default ``docs/events.schema.json``);
a test checks the committed file is up to date.
"""

from __future__ import annotations

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
    """Follow a batch: the server answers with a ``snapshot``, then every later event."""

    action: Literal["subscribe"]
    batch_id: str


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


def main(argv: Sequence[str] | None = None) -> int:
    """Write the schema to ``argv[0]`` (default ``docs/events.schema.json``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    out = Path(args[0]) if args else DEFAULT_OUT
    out.write_text(render(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
