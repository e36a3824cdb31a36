"""Running the API under uvicorn safely: slow and many clients, request sizes, secrets in logs.

uvicorn's own knobs (``limit_concurrency``, ``timeout_keep_alive``, ``h11_max_incomplete_event_size``)
bound idle keep-alive connections and header size, but nothing bounds the time a client may take to
send its request: ``timeout_keep_alive`` is cancelled by the first byte, so a client trickling its
headers one byte at a time (slowloris) holds a connection for ever. :func:`guarded_protocol` makes a
subclass of uvicorn's h11 protocol that adds, per connection:

- a **header deadline**: the request line and headers must be complete within ``header_timeout_s`` of the
  connection (or of the previous response); otherwise the connection is closed;
- a **body timeout**: while a request body is being received, a gap of ``body_timeout_s`` without a
  byte closes the connection, and so does an average below ``min_body_rate`` bytes/s once the body has
  taken longer than ``body_timeout_s`` (a trickle of one byte a second); time during which the app
  itself paused reading is not held against the client;
- a **connection cap**: past ``max_connections`` open HTTP connections, new ones are closed at once
  (requests beyond ``limit_concurrency`` get uvicorn's 503).

Once a request is complete, or the connection became a WebSocket, no deadline applies (SSE streams and
sockets live as long as they like). :class:`BodyLimit` caps request bodies (413 ``too_large``), and
:class:`RedactSecrets` keeps ``?token=`` values out of every log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

ASGIApp = Any
REDACTED = "[redacted]"
_SECRETS = (
    # credential-like query parameters: ?token=, &access_token=, ...
    re.compile(r"(?i)([?&](?:token|access_token|api_key|apikey|key)=)[^&\s\"']*"),
    # headers as the WebSocket library logs them at debug level
    re.compile(r"(?i)((?:authorization|proxy-authorization|cookie|x-api-key)\s*[:=]\s*)[^\r\n]*"),
    re.compile(r"(?i)(\bbearer[\s,]+)[^\s,'\"]+"),
    re.compile(r"(?i)(receiptflow\.bearer\s*,\s*)[^\s,'\"]+"),
)


def redact(text: str) -> str:
    """``text`` with credentials (query parameters, auth headers, the bearer subprotocol's key)
    replaced by ``[redacted]``."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites a record whose message carries ``?token=...`` (uvicorn's access
    and WebSocket lines put the full query string in them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


def install_log_redaction(
    logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error", "websockets", "uvicorn"),
) -> None:
    """Add :class:`RedactSecrets` to uvicorn's loggers and their handlers (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        targets: list[logging.Filterer] = [logger, *logger.handlers]
        for target in targets:
            if not any(isinstance(f, RedactSecrets) for f in target.filters):
                target.addFilter(RedactSecrets())


def guarded_protocol(
    *, header_timeout_s: float, body_timeout_s: float, min_body_rate: float, max_connections: int
) -> type[H11Protocol]:
    """A uvicorn h11 protocol class with a header deadline, body timeouts and a connection cap."""

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None
        _body_started: float | None = None
        _body_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= max_connections:
                transport.close()  # over the cap: refuse before anything is allocated for it
                self.transport = transport
                self.connections.discard(self)
                return
            super().connection_made(transport)
            self._arm(header_timeout_s)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self.conn is not None and hasattr(self, "flow"):
                super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if not hasattr(self, "flow"):
                return  # a refused connection
            super().data_received(data)
            if self.conn.their_state is h11.SEND_BODY:
                now = self.loop.time()
                if self._body_started is None:
                    self._body_started, self._body_bytes = now, 0
                self._body_bytes += len(data)
                if self.flow.read_paused:  # it sends faster than the app reads: not a slow client
                    self._body_bytes = max(self._body_bytes, 1 << 62)
                elapsed = now - self._body_started
                if elapsed > body_timeout_s and self._body_bytes < min_body_rate * elapsed:
                    self._close("sent its request body too slowly")
                    return
            else:
                self._body_started = None
            self._rearm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm(header_timeout_s)  # the next request's head has the same deadline

        def _rearm(self) -> None:
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                self._disarm()  # closed, or upgraded to a WebSocket: no deadline applies any more
                return
            state = self.conn.their_state
            if state is h11.SEND_BODY:
                self._arm(body_timeout_s)  # every byte of the body restarts the idle clock
            elif state is not h11.IDLE:
                self._disarm()  # the request is in: the app takes over

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return
            state = self.conn.their_state
            if state is h11.SEND_BODY and self.flow.read_paused:
                self._arm(body_timeout_s)  # the app is not reading: not the client's fault
                return
            if state in (h11.IDLE, h11.SEND_BODY):
                self._close("sent its request too slowly")

        def _close(self, why: str) -> None:
            self._disarm()
            self.logger.warning("closing a connection that %s", why)
            self.transport.close()

    return GuardedH11Protocol


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``multipart_bytes`` (uploads) or ``other_bytes``
    (JSON and everything else) with a 413 ``too_large`` problem, by ``Content-Length`` before reading,
    or as soon as a chunked body passes the limit."""

    def __init__(self, app: ASGIApp, *, multipart_bytes: int, other_bytes: int) -> None:
        self.app = app
        self.multipart_bytes = multipart_bytes
        self.other_bytes = other_bytes

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        limit = self.multipart_bytes if content_type.startswith("multipart/") else self.other_bytes
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await _too_large(send, limit)


async def _too_large(send: Any, limit: int) -> None:
    body = json.dumps(
        {
            "type": "urn:receiptflow:problem:too_large",
            "title": "Content Too Large",
            "status": 413,
            "code": "too_large",
            "detail": f"the request body is over {limit} bytes",
            "retryable": False,
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send(
        {"type": "http.response.start", "status": 413, "headers": [*headers, (b"connection", b"close")]}
    )
    await send({"type": "http.response.body", "body": body})
