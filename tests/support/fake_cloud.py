"""Textract and OpenAI endpoints on a loopback port, for runs whose provider calls happen in worker
processes (where a ``Stubber`` or ``MockTransport`` set up in the test process cannot reach).

It stands exactly where the real services would: the subprocess's own boto3 client is pointed at it
with ``AWS_ENDPOINT_URL_TEXTRACT`` and the ``openai`` SDK with ``OPENAI_BASE_URL``, so botocore's and the
SDK's request building, response parsing and error classes all run for real. Answers are the recorded
AnalyzeExpense response and a Responses API body shaped like a recorded one.

Faults are decided per (service, image content, attempt number) from a seed, so a run is repeatable
however the workers interleave. Every 200 answer counts as billed for that content.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.chain_parts import GOOD_OPENAI
from tests.support.openai_http import content_key, error_body, response_body

TEXTRACT = "textract"
OPENAI = "openai"
FAULTS = ("throttle", "5xx", "timeout", "malformed")

Decide = Callable[[str, str, int], str | None]


def seeded_faults(rate: float, seed: int, faults: tuple[str, ...] = FAULTS) -> Decide:
    """A fault for ``rate`` of calls, chosen from ``faults``, fixed per (service, content, attempt)."""

    def decide(service: str, content: str, attempt: int) -> str | None:
        rng = random.Random(f"{seed}:{service}:{content}:{attempt}")
        return rng.choice(faults) if rng.random() < rate else None

    return decide


def per_service(**faults: str | None) -> Decide:
    """The same outcome for every call to each named service (``None`` or absent = a good answer)."""
    return lambda service, content, attempt: faults.get(service)


@dataclass
class FakeCloud:
    """What the endpoints saw and decided."""

    url: str
    expense: dict[str, Any]
    decide: Decide
    timeout_s: float = 3.0
    delay_s: float = 0.0  # every answer waits this long (lets concurrent callers pile up)
    hold: threading.Event | None = None  # when set to an Event, every call waits (≤ 60 s) until it is set
    calls: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    billed: Counter[tuple[str, str]] = field(default_factory=Counter)
    attempts: Counter[tuple[str, str]] = field(default_factory=Counter)
    call_times: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        """Environment that points a subprocess's Textract client and OpenAI SDK here."""
        return {
            "AWS_ENDPOINT_URL_TEXTRACT": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "OPENAI_BASE_URL": self.url + "/v1",
            "OPENAI_API_KEY": "sk-test-not-a-real-key",
        }

    def _next(self, service: str, content: str) -> str | None:
        with self.lock:
            self.calls[service] += 1
            self.call_times.append((service, time.monotonic()))
            attempt = self.attempts[service, content]
            self.attempts[service, content] += 1
        fault = self.decide(service, content, attempt)
        if self.hold is not None:
            self.hold.wait(60)
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            self.injected[f"{service}:{fault or 'ok'}"] += 1
            if fault in (None, "malformed"):
                self.billed[service, content] += 1
        return fault


def _textract_answer(cloud: FakeCloud, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    content = hashlib.sha256(base64.b64decode(body["Document"]["Bytes"])).hexdigest()
    fault = cloud._next(TEXTRACT, content)
    if fault == "throttle":
        return 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
    if fault == "5xx":
        return 500, {"__type": "InternalServerError", "message": "injected"}
    if fault == "timeout":
        return 0, None  # the connection drops without an answer
    if fault == "malformed":
        return 200, {"DocumentMetadata": {"Pages": 1}, "ExpenseDocuments": []}
    return 200, cloud.expense


def _openai_answer(cloud: FakeCloud, body: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
    fault = cloud._next(OPENAI, content_key(body))
    if fault == "throttle":
        return 429, error_body(429)
    if fault == "5xx":
        return 502, error_body(500)
    if fault == "timeout":
        time.sleep(cloud.timeout_s)  # longer than the client waits
        return 504, error_body(500)
    if fault == "malformed":
        return 200, response_body("{truncated")
    return 200, response_body(json.dumps(GOOD_OPENAI))


def _handler(cloud: FakeCloud) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            return

        def do_POST(self) -> None:  # noqa: N802 - the base class's naming
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
            if self.headers.get("X-Amz-Target", "").endswith("AnalyzeExpense"):
                status, answer = _textract_answer(cloud, body)
                content_type = "application/x-amz-json-1.1"
            elif self.path.endswith("/responses"):
                status, answer = _openai_answer(cloud, body)
                content_type = "application/json"
            else:
                status, answer, content_type = 404, {"message": self.path}, "application/json"
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped waiting (a timeout): nothing to answer

    return Handler


@contextmanager
def fake_cloud(expense: dict[str, Any], decide: Decide, *, timeout_s: float = 3.0) -> Iterator[FakeCloud]:
    """Serve the fake endpoints on a free loopback port until the block ends (``decide`` may be swapped)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    cloud = FakeCloud(f"http://127.0.0.1:{server.server_address[1]}", expense, decide, timeout_s)
    server.RequestHandlerClass = _handler(cloud)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield cloud
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
