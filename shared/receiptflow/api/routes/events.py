"""Real-time progress: the WebSocket at ``/v1/ws`` and Server-Sent Events per batch."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from receiptflow.api.auth import WS_BEARER_PROTOCOL, offered_protocols
from receiptflow.api.deps import OwnedStreamBatch, Services, get_services
from receiptflow.api.problems import problem_body
from receiptflow.api.realtime import (
    OVERFLOW_CLOSE_CODE,
    EventQueue,
    Overflow,
    control_message,
    sse_stream,
)
from receiptflow.api.services import ApiServices, EventFeed
from receiptflow.errors import InvalidRequestError, ReceiptflowError
from receiptflow.models import Batch, Event, SnapshotEvent

router = APIRouter(tags=["events"])
MAX_BATCH_ID_CHARS = 64


@router.get(
    "/v1/batches/{batch_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "the batch's events"}},
)
async def batch_events(
    batch: OwnedStreamBatch,
    services: Services,
    last_event_id: Annotated[str | None, Header()] = None,
    after: Annotated[
        int | None, Query(ge=0, description="like Last-Event-ID, for clients without headers")
    ] = None,
) -> StreamingResponse:
    """Server-Sent Events: a ``snapshot`` then live events (``id:`` = seq). With ``Last-Event-ID`` (or
    ``?after=``) the missed events are replayed from the hub history when it still holds all of them,
    else a fresh ``snapshot`` is sent instead; either way live events follow. The stream ends after
    ``complete``, or right after catching up on a batch that has already finished (also one finished
    before a restart), so a resuming client never waits for events that will not come."""
    hub = _hub(services)
    resume_from = _parse_last_event_id(last_event_id) if last_event_id is not None else after
    queue = EventQueue(asyncio.get_running_loop(), services.settings.event_queue_size)
    unsubscribe = hub.subscribe(batch.batch_id, queue.push)
    try:
        # the store's counter: every event numbered up to it is already reflected in the snapshot
        fresh = await run_in_threadpool(services.store.get_batch, batch.tenant_id, batch.batch_id)
    except BaseException:
        unsubscribe()
        raise
    first = catch_up(hub, fresh, resume_from)
    return StreamingResponse(
        sse_stream(queue, first, first[-1].seq, unsubscribe),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def catch_up(hub: EventFeed, fresh: Batch, after: int | None) -> list[Event]:
    """What a (re)subscribing client is sent first: the events after seq ``after`` when the history
    holds every one of them, otherwise a snapshot of ``fresh``. A finished batch always ends on its
    ``complete`` event or on a snapshot showing its final state."""
    snapshot = SnapshotEvent(batch_id=fresh.batch_id, seq=fresh.last_seq, batch=fresh)
    if after is None or after > fresh.last_seq:
        return [snapshot]
    missed = [e for e in hub.history(fresh.batch_id, after_seq=after) if e.seq <= fresh.last_seq]
    contiguous = [e.seq for e in missed] == list(range(after + 1, after + 1 + len(missed)))
    if not missed or not contiguous or missed[-1].seq != fresh.last_seq:
        return [snapshot]
    if fresh.status.terminal and missed[-1].type != "complete":
        return [*missed, snapshot]
    return missed


def _hub(services: ApiServices) -> EventFeed:
    if services.events is None:
        raise HTTPException(501, "live events are served by the WebSocket API in this deployment")
    return services.events


def _parse_last_event_id(value: str) -> int:
    try:
        return max(int(value), 0)
    except ValueError as e:
        raise InvalidRequestError("Last-Event-ID must be an event seq") from e


@router.websocket("/v1/ws")
async def websocket_events(ws: WebSocket) -> None:
    """Subscribe with ``{"action": "subscribe", "batch_id": …}``; see docs/api.md for the protocol."""
    services = get_services(ws)
    if services.events is None:
        await ws.close(code=1011)
        return
    try:
        tenant = services.authenticator.tenant_for(ws, allow_query_token=True)
        services.rate_limiter.check(tenant)
    except ReceiptflowError:
        await ws.close(code=1008)  # before accept: the handshake is refused with HTTP 403
        return
    # echo only the marker protocol, never the key offered after it
    await ws.accept(subprotocol=WS_BEARER_PROTOCOL if WS_BEARER_PROTOCOL in offered_protocols(ws) else None)
    session = _Session(ws, services, services.events, tenant)
    receiver = asyncio.create_task(session.receive_loop())
    sender = asyncio.create_task(session.send_loop())
    try:
        await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (receiver, sender):
            task.cancel()
        for task in (receiver, sender):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await task
        session.close()


class _Session:
    """One WebSocket connection: its subscriptions, one bounded event queue, one send lock."""

    def __init__(self, ws: WebSocket, services: ApiServices, hub: EventFeed, tenant: str) -> None:
        self.ws = ws
        self.services = services
        self.hub = hub
        self.tenant = tenant
        self.queue = EventQueue(asyncio.get_running_loop(), services.settings.event_queue_size)
        self.floors: dict[str, int] = {}
        self.unsubscribers: dict[str, Callable[[], None]] = {}
        self.lock = asyncio.Lock()

    async def receive_loop(self) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await self.handle(await self.ws.receive_text())

    async def send_loop(self) -> None:
        while True:
            item = await self.queue.get()
            if isinstance(item, Overflow):
                await self.ws.close(code=OVERFLOW_CLOSE_CODE, reason="subscriber too slow; resubscribe")
                return
            async with self.lock:
                floor = self.floors.get(item.batch_id)
                if floor is None or item.seq <= floor:
                    continue
                self.floors[item.batch_id] = item.seq
                await self.ws.send_text(item.model_dump_json())

    async def handle(self, text: str) -> None:
        try:
            message: Any = json.loads(text)
        except ValueError:
            message = None
        action = message.get("action") if isinstance(message, dict) else None
        batch_id = message.get("batch_id") if isinstance(message, dict) else None
        after = message.get("after") if isinstance(message, dict) else None
        valid_id = isinstance(batch_id, str) and 0 < len(batch_id) <= MAX_BATCH_ID_CHARS
        valid_after = after is None or (isinstance(after, int) and not isinstance(after, bool) and after >= 0)
        if action == "ping":
            await self._send(control_message("pong"))
        elif action in ("subscribe", "unsubscribe") and valid_id and valid_after:
            assert isinstance(batch_id, str)
            if action == "subscribe":
                await self.subscribe(batch_id, after)
            else:
                self._drop(batch_id)
                await self._send(control_message("unsubscribed", batch_id=batch_id))
        else:
            error = InvalidRequestError(
                'send {"action": "subscribe"|"unsubscribe"|"ping", "batch_id": "…", "after"?: seq}'
            )
            await self._send(control_message("problem", **problem_body(error)))

    async def subscribe(self, batch_id: str, after: int | None = None) -> None:
        """Check ownership, start receiving, then send the snapshot (or, with ``after``, the missed
        events when the history still holds them all: :func:`catch_up`); a repeat subscribe re-syncs."""
        try:
            await run_in_threadpool(self.services.store.get_batch, self.tenant, batch_id)
        except ReceiptflowError as e:
            await self._send(control_message("problem", batch_id=batch_id, **problem_body(e)))
            return
        async with self.lock:
            self._drop(batch_id)
            self.unsubscribers[batch_id] = self.hub.subscribe(batch_id, self.queue.push)
            batch = await run_in_threadpool(self.services.store.get_batch, self.tenant, batch_id)
            first = catch_up(self.hub, batch, after)
            self.floors[batch_id] = first[-1].seq  # events numbered up to it were sent or are in it
            for event in first:
                await self.ws.send_text(event.model_dump_json())

    async def _send(self, text: str) -> None:
        async with self.lock:
            await self.ws.send_text(text)

    def _drop(self, batch_id: str) -> None:
        self.floors.pop(batch_id, None)
        unsubscribe = self.unsubscribers.pop(batch_id, None)
        if unsubscribe is not None:
            unsubscribe()

    def close(self) -> None:
        for batch_id in list(self.unsubscribers):
            self._drop(batch_id)
