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
from receiptflow.models import Event, SnapshotEvent

router = APIRouter(tags=["events"])


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
    """Server-Sent Events: a ``snapshot`` then live events (``id:`` = seq). With ``Last-Event-ID`` the
    missed events are replayed from the hub history instead. The stream ends after ``complete``."""
    hub = _hub(services)
    resume_from = _parse_last_event_id(last_event_id) if last_event_id is not None else after
    queue = EventQueue(asyncio.get_running_loop(), services.settings.event_queue_size)
    unsubscribe = hub.subscribe(batch.batch_id, queue.push)
    if resume_from is not None:
        first: list[Event] = list(hub.history(batch.batch_id, after_seq=resume_from))
        sent = resume_from
    else:
        # the store's counter: every event numbered up to it is already reflected in the snapshot
        fresh = await run_in_threadpool(services.store.get_batch, batch.tenant_id, batch.batch_id)
        first = [SnapshotEvent(batch_id=batch.batch_id, seq=fresh.last_seq, batch=fresh)]
        sent = fresh.last_seq
    return StreamingResponse(
        sse_stream(queue, first, sent, unsubscribe),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


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
    await ws.accept()
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
        if action == "ping":
            await self._send(control_message("pong"))
        elif action in ("subscribe", "unsubscribe") and isinstance(batch_id, str) and batch_id:
            if action == "subscribe":
                await self.subscribe(batch_id)
            else:
                self._drop(batch_id)
                await self._send(control_message("unsubscribed", batch_id=batch_id))
        else:
            error = InvalidRequestError('send {"action": "subscribe"|"unsubscribe"|"ping", "batch_id": "…"}')
            await self._send(control_message("problem", **problem_body(error)))

    async def subscribe(self, batch_id: str) -> None:
        """Check ownership, start receiving, then send the snapshot; a repeat subscribe re-syncs."""
        try:
            await run_in_threadpool(self.services.store.get_batch, self.tenant, batch_id)
        except ReceiptflowError as e:
            await self._send(control_message("problem", batch_id=batch_id, **problem_body(e)))
            return
        async with self.lock:
            self._drop(batch_id)
            self.unsubscribers[batch_id] = self.hub.subscribe(batch_id, self.queue.push)
            batch = await run_in_threadpool(self.services.store.get_batch, self.tenant, batch_id)
            self.floors[batch_id] = batch.last_seq  # events numbered up to it are in the snapshot
            snapshot = SnapshotEvent(batch_id=batch_id, seq=batch.last_seq, batch=batch)
            await self.ws.send_text(snapshot.model_dump_json())

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
