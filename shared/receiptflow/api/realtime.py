"""Bridge from the thread-side event hub to asyncio clients, and the SSE/WebSocket framing.

Overflow policy: each subscriber has a bounded queue (``settings.event_queue_size``). The runner's thread
never waits for a client: events are handed over with ``loop.call_soon_threadsafe``; when a queue is full
the subscriber is marked overflowed, its backlog is dropped, and the transport ends it — the WebSocket
closes with code 4008 (re-subscribe for a fresh snapshot), the SSE stream ends (the browser reconnects
with ``Last-Event-ID`` and the hub history replays what it missed).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

from receiptflow.models import Event, SnapshotEvent

OVERFLOW_CLOSE_CODE: Final = 4008
KEEPALIVE_SECONDS: Final = 15.0


_OVERFLOW_FRAME: Final = (
    'event: overflow\ndata: {"detail": "subscriber too slow; reconnect with Last-Event-ID"}\n\n'
)


class Overflow:
    """Marker put in a queue whose subscriber fell too far behind."""


OVERFLOW: Final = Overflow()


class EventQueue:
    """A bounded asyncio queue of events that any thread may feed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, maxsize: int) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[Event | Overflow] = asyncio.Queue(maxsize=max(maxsize, 1))
        self.overflowed = False

    def push(self, event: Event) -> None:
        """Hand ``event`` over from any thread; never blocks."""
        try:
            self._loop.call_soon_threadsafe(self._put, event)
        except RuntimeError:  # the loop has closed: the subscriber is gone
            return

    def _put(self, event: Event) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(OVERFLOW)

    async def get(self) -> Event | Overflow:
        """The next event, or ``OVERFLOW`` once the subscriber fell behind."""
        return await self._queue.get()


def sse_frame(event: Event) -> str:
    """One Server-Sent Events frame: ``id`` is the per-batch seq, ``event`` the event type."""
    return f"id: {event.seq}\nevent: {event.type}\ndata: {event.model_dump_json()}\n\n"


async def sse_stream(
    queue: EventQueue,
    first: list[Event],
    sent_seq: int,
    unsubscribe: Callable[[], None],
) -> AsyncIterator[str]:
    """Frames for ``first`` then live events from ``queue`` (skipping seq ≤ what was sent), until the
    batch completes, the subscriber overflows or the client leaves; keep-alive comments meanwhile."""
    try:
        for event in first:
            yield sse_frame(event)
            sent_seq = max(sent_seq, event.seq)
            if event.type == "complete":
                return
        last = first[-1] if first else None
        if isinstance(last, SnapshotEvent) and last.batch.status.terminal:
            return  # a finished batch: nothing more will come
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if isinstance(item, Overflow):
                yield _OVERFLOW_FRAME
                return
            if item.seq <= sent_seq:
                continue
            yield sse_frame(item)
            sent_seq = item.seq
            if item.type == "complete":
                return
    finally:
        unsubscribe()


def control_message(kind: str, **fields: Any) -> str:
    """A WebSocket control message (``subscribed``-style acks, ``pong``, ``problem``)."""
    return json.dumps({"type": kind, **fields})
