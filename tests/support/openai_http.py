"""Recorded-style OpenAI Responses API exchanges served through ``httpx2.MockTransport`` (no network).

The ``openai`` SDK sends its requests through an ``httpx2.Client``; giving the provider one whose transport is
a ``MockTransport`` replaces exactly the HTTP exchange, so the SDK's own request building, response parsing
and error classes run for real.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx2

RESPONSES_URL = "https://api.openai.com/v1/responses"
MODEL = "gpt-4o-mini-2024-07-18"


def extraction(**fields: Any) -> dict[str, Any]:
    """A ``ReceiptExtraction`` JSON object: every field null unless given as ``name=(text, value, conf)``;
    ``line_items`` as a list of dicts."""
    from receiptflow.adapters.openai.schema import ReceiptExtraction

    body: dict[str, Any] = {}
    for name in ReceiptExtraction.model_fields:
        if name == "line_items":
            body[name] = fields.get(name, [])
        elif name in fields:
            text, value, confidence = fields[name]
            body[name] = {"text": text, "value": value, "confidence": confidence}
        else:
            body[name] = {"text": None, "value": None, "confidence": 0.0}
    return body


def response_body(
    output_text: str, *, input_tokens: int = 2913, output_tokens: int = 412, refusal: str | None = None
) -> dict[str, Any]:
    """A completed Responses API body, shaped like a recorded one."""
    content: dict[str, Any] = (
        {"type": "refusal", "refusal": refusal}
        if refusal is not None
        else {"type": "output_text", "text": output_text, "annotations": []}
    )
    return {
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": 1741476542,
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "model": MODEL,
        "output": [
            {
                "type": "message",
                "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                "status": "completed",
                "role": "assistant",
                "content": [content],
            }
        ],
        "parallel_tool_calls": True,
        "store": False,
        "tool_choice": "auto",
        "tools": [],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def error_body(status: int, code: str | None = None) -> dict[str, Any]:
    """An OpenAI error body."""
    kinds = {
        429: "rate_limit_exceeded",
        401: "invalid_request_error",
        500: "server_error",
        503: "server_error",
    }
    return {
        "error": {
            "message": f"simulated {status}",
            "type": kinds.get(status, "invalid_request_error"),
            "param": None,
            "code": code,
        }
    }


Handler = Callable[[httpx2.Request], httpx2.Response]


class Recorder:
    """A ``MockTransport`` handler that records each request (and the images it carried) and answers
    with ``respond(request)``."""

    def __init__(self, respond: Handler) -> None:
        self.respond = respond
        self.requests: list[dict[str, Any]] = []
        self.image_calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        with self._lock:
            self.requests.append(body)
            self.image_calls[content_key(body)] += 1
        return self.respond(request)

    def client(self) -> httpx2.Client:
        """An ``httpx2.Client`` routed to this recorder."""
        return httpx2.Client(transport=httpx2.MockTransport(self))


def content_key(body: dict[str, Any]) -> str:
    """A hash of the images in one Responses API request."""
    digest = hashlib.sha256()
    for message in body.get("input", []):
        for part in message.get("content", []):
            if part.get("type") == "input_image":
                digest.update(part["image_url"].encode())
    return digest.hexdigest()


def replay(*responses: httpx2.Response) -> Handler:
    """A handler answering with ``responses`` in order."""
    queue = list(responses)

    def respond(request: httpx2.Request) -> httpx2.Response:
        if not queue:
            raise AssertionError("no more recorded OpenAI responses")
        return queue.pop(0)

    return respond


def ok(body: dict[str, Any]) -> httpx2.Response:
    """HTTP 200 with ``body``."""
    return httpx2.Response(200, json=body)


def fail(status: int, code: str | None = None) -> httpx2.Response:
    """An HTTP error response."""
    return httpx2.Response(status, json=error_body(status, code))
