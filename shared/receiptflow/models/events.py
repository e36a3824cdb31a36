"""Progress events: the one real-time protocol served over WebSocket and SSE, locally and in AWS."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from receiptflow.models.batch import Batch, BatchCounts, BatchStatus, utcnow


class _EventBase(BaseModel):
    batch_id: str
    seq: int = 0
    ts: dt.datetime = Field(default_factory=utcnow)


class ProgressEvent(_EventBase):
    """Counts so far, throughput and estimated time left."""

    type: Literal["progress"] = "progress"
    done: int
    total: int
    failed: int = 0
    cache_hits: int = 0
    rate: float = 0.0
    eta_seconds: float | None = None


class ResultEvent(_EventBase):
    """One item finished with a receipt; carries the partial fields a UI shows at once."""

    type: Literal["result"] = "result"
    item_id: str
    source: str
    vendor: str | None = None
    total: Decimal | None = None
    currency: str | None = None
    date: dt.date | None = None
    item_count: int = 0
    cached: bool = False
    provider: str | None = None


class ErrorEvent(_EventBase):
    """One item failed with a typed error."""

    type: Literal["error"] = "error"
    item_id: str
    source: str
    code: str
    message: str
    retryable: bool = False


class CompleteEvent(_EventBase):
    """The batch reached a final status."""

    type: Literal["complete"] = "complete"
    status: BatchStatus
    counts: BatchCounts
    duration_s: float
    cost_usd: float = 0.0


class SnapshotEvent(_EventBase):
    """Current state of the batch, sent right after subscribing."""

    type: Literal["snapshot"] = "snapshot"
    batch: Batch


Event = Annotated[
    ProgressEvent | ResultEvent | ErrorEvent | CompleteEvent | SnapshotEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: str | bytes) -> Event:
    """Parse one JSON event of any type."""
    return EVENT_ADAPTER.validate_json(data)
