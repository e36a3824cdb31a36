"""Reference client for receiptflow's real-time events (docs/events.md): deliver a batch's events in ``seq``
order, exactly once, whatever order the transport brings them in.

The rule: every event of a batch carries the batch's ``seq`` (1, 2, 3, …); a ``snapshot`` carries the last
``seq`` it already reflects. So a client

1. waits for the ``snapshot`` its ``subscribe`` asks for, and then expects ``snapshot.seq + 1``;
2. delivers the expected event at once, then any held events that follow it without a gap;
3. drops an event whose ``seq`` it has already passed (a duplicate, or one the snapshot reflects);
4. holds an event from the future (``seq`` above the expected one) **briefly**: in AWS concurrent Lambdas
   post as they finish, so ``…12, 14, 13, 15…`` is normal;
5. when a gap outlives the hold time (an event was lost: a post failed, the socket was dropped), subscribes
   again: the fresh ``snapshot`` replaces the client's state and the sequence restarts from it.

:class:`ReorderBuffer` is that rule with no I/O (it takes a clock, so it is tested with shuffled, duplicated
and gapped sequences); :class:`EventSubscriber` is a thin ``websockets`` client around it that connects to
``receiptflow serve`` (``ws://host/v1/ws``) or the AWS WebSocket API (``wss://…/v1?token=…``) and yields a
batch's events in order until the batch is final.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

Message = dict[str, Any]

FINAL_STATUSES = frozenset({"succeeded", "partially_failed", "failed", "cancelled"})
DEFAULT_HOLD_SECONDS = 2.0
DEFAULT_MAX_HELD = 1000


class ReorderBuffer:
    """The events of one batch, put back in ``seq`` order (see the module docstring for the rule).

    Feed every message received for the batch to :meth:`accept`; it returns the events now deliverable, in
    order. Messages without a ``seq`` (``pong``, ``problem``) pass straight through. :meth:`needs_resync`
    says when a gap has outlived ``hold_seconds`` (or more than ``max_held`` events wait behind it): the
    caller then subscribes again and the next ``snapshot`` restarts the sequence.
    """

    def __init__(
        self,
        *,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
        max_held: int = DEFAULT_MAX_HELD,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hold_seconds = hold_seconds
        self.max_held = max_held
        self.clock = clock
        self.expected: int | None = None  # the next seq to deliver; None until a snapshot arrived
        self.held: dict[int, Message] = {}
        self.gap_since: float | None = None
        self.awaiting_snapshot = True  # until the snapshot a subscribe asks for arrives
        self.dropped = 0  # duplicates and events a snapshot already reflected

    def accept(self, message: Message) -> list[Message]:
        """The events deliverable now that ``message`` arrived, in ``seq`` order."""
        seq = message.get("seq")
        if not isinstance(seq, int):
            return [message]
        if message.get("type") == "snapshot":
            if self.awaiting_snapshot or self.expected is None or seq >= self.expected:
                return self._restart(message, seq)
            self.dropped += 1  # a repeated snapshot this client did not ask for
            return []
        if self.expected is not None and seq < self.expected or seq in self.held:
            self.dropped += 1
            return []
        self.held[seq] = message
        return self._release()

    def needs_resync(self) -> bool:
        """True when held events wait behind a gap older than ``hold_seconds`` (or too many wait)."""
        if not self.held:
            return False
        if len(self.held) > self.max_held:
            return True
        return self.gap_since is not None and self.clock() - self.gap_since >= self.hold_seconds

    def resubscribed(self) -> None:
        """The caller subscribed again: the next snapshot restarts the sequence, and the gap waits for it
        for another ``hold_seconds``."""
        self.awaiting_snapshot = True
        if self.held:
            self.gap_since = self.clock()

    def seconds_until_resync(self) -> float | None:
        """How long the current gap may still be waited for; None when nothing is held."""
        if not self.held or self.gap_since is None:
            return None
        return max(0.0, self.hold_seconds - (self.clock() - self.gap_since))

    def _restart(self, snapshot: Message, seq: int) -> list[Message]:
        """A snapshot reflects every event up to its seq: start again from the one after it."""
        self.expected = seq + 1
        self.awaiting_snapshot = False
        stale = [s for s in self.held if s <= seq]
        self.dropped += len(stale)
        for s in stale:
            del self.held[s]
        self.gap_since = None
        return [snapshot, *self._release()]

    def _release(self) -> list[Message]:
        ready: list[Message] = []
        if self.expected is not None:
            while self.expected in self.held:
                ready.append(self.held.pop(self.expected))
                self.expected += 1
        if not self.held:
            self.gap_since = None
        elif self.gap_since is None or ready:
            self.gap_since = self.clock()  # a (new) gap starts waiting now
        return ready


class EventStreamError(RuntimeError):
    """The server answered ``problem`` (e.g. ``not_found``), or the connection kept failing."""


def is_final(message: Message) -> bool:
    """True for the last message of a batch: ``complete``, or a snapshot of a batch already final."""
    if message.get("type") == "complete":
        return True
    return message.get("type") == "snapshot" and message.get("batch", {}).get("status") in FINAL_STATUSES


class EventSubscriber:
    """Follows batches over a WebSocket (needs the ``websockets`` package, imported on first use).

    ``url`` is ``ws://host:port/v1/ws`` for ``receiptflow serve`` or the stack's ``WebSocketUrl`` output in
    AWS; ``token`` (an API key, or a JWT in AWS) travels as ``?token=`` because browsers cannot set headers
    on a WebSocket and API Gateway's ``$connect`` reads it there.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
        reconnects: int = 5,
        idle_timeout: float = 60.0,
    ) -> None:
        self.url = _with_token(url, token) if token else url
        self.hold_seconds = hold_seconds
        self.reconnects = reconnects
        self.idle_timeout = idle_timeout
        self.resubscriptions = 0

    async def events(self, batch_id: str) -> AsyncIterator[Message]:
        """The batch's events in ``seq`` order (starting with a ``snapshot``) until it is final."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        buffer = ReorderBuffer(hold_seconds=self.hold_seconds)
        subscribe = json.dumps({"action": "subscribe", "batch_id": batch_id})
        failures = 0
        while True:
            try:
                async with connect(self.url, open_timeout=self.idle_timeout) as socket:
                    await socket.send(subscribe)
                    while True:
                        wait = buffer.seconds_until_resync()
                        try:
                            raw = await asyncio.wait_for(
                                socket.recv(), wait if wait is not None else self.idle_timeout
                            )
                        except TimeoutError:
                            if wait is None:
                                raise EventStreamError(f"no event for {self.idle_timeout:.0f} s") from None
                            raw = None
                        if raw is not None:
                            message = json.loads(raw)
                            if message.get("type") == "problem":
                                raise EventStreamError(f"{message.get('code')}: {message.get('detail')}")
                            if message.get("batch_id") not in (None, batch_id):
                                continue
                            for event in buffer.accept(message):
                                if "seq" not in event:
                                    continue  # pong and other control messages
                                failures = 0
                                yield event
                                if is_final(event):
                                    return
                        if buffer.needs_resync():
                            self.resubscriptions += 1
                            await socket.send(subscribe)
                            buffer.resubscribed()
            except (ConnectionClosed, InvalidHandshake, OSError) as error:
                buffer.resubscribed()  # the next connection subscribes again
                failures += 1
                if failures > self.reconnects:
                    raise EventStreamError(f"connection failed {failures} times: {error}") from error
                await asyncio.sleep(min(2.0**failures, 10.0) * 0.1)


def _with_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode({"token": token})) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
