"""Batches of images and their items."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, computed_field, field_validator

from receiptflow.models.scan import ScanResult


def utcnow() -> dt.datetime:
    """Timezone-aware current UTC time."""
    return dt.datetime.now(dt.UTC)


class BatchStatus(StrEnum):
    """Lifecycle of a batch (the allowed moves are in ``receiptflow.batches.status``).

    ``cancelling`` is the window after a cancel: no item starts any more, the items in flight finish
    and keep their results, then the batch becomes ``cancelled``."""

    CREATED = "created"
    RUNNING = "running"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    PARTIALLY_FAILED = "partially_failed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """True once the batch can no longer change."""
        return self in _TERMINAL_BATCH


_TERMINAL_BATCH = {
    BatchStatus.SUCCEEDED,
    BatchStatus.PARTIALLY_FAILED,
    BatchStatus.FAILED,
    BatchStatus.CANCELLED,
}


class ItemStatus(StrEnum):
    """Lifecycle of one item in a batch."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        """True once the item has its final result."""
        return self in (ItemStatus.SUCCEEDED, ItemStatus.FAILED, ItemStatus.CANCELLED)


class BatchCounts(BaseModel):
    """How many items are in each state; ``done`` counts every terminal item."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    cached: int = 0

    @property
    def done(self) -> int:
        """Items with a final result."""
        return self.succeeded + self.failed + self.cancelled

    @property
    def pending(self) -> int:
        """Items not finished yet."""
        return max(self.total - self.done, 0)


class BatchOptions(BaseModel):
    """Per-batch settings chosen by the client."""

    provider: str | None = None
    use_cache: bool = True
    webhook_url: str | None = Field(
        default=None,
        max_length=2048,
        description="receives a signed POST when the batch finishes (see docs/webhooks.md): https://, "
        "or http:// to localhost",
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_target(cls, url: str | None) -> str | None:
        from receiptflow.webhooks import check_webhook_url

        return None if url is None else check_webhook_url(url)


class Batch(BaseModel):
    """A batch of images scanned together."""

    batch_id: str
    tenant_id: str = "local"
    name: str = ""
    status: BatchStatus = BatchStatus.CREATED
    expected_files: int | None = None
    options: BatchOptions = Field(default_factory=BatchOptions)
    counts: BatchCounts = Field(default_factory=BatchCounts)
    cost_usd: float = 0.0
    created_at: dt.datetime = Field(default_factory=utcnow)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    execution_arn: str | None = None
    last_seq: int = 0  # sequence number of the newest event numbered for this batch (kept by the store)


class BatchItem(BaseModel):
    """One image in a batch, with its machine result and any user correction."""

    batch_id: str
    item_id: str
    source: str
    blob_key: str | None = None
    sha256: str | None = None
    status: ItemStatus = ItemStatus.PENDING
    result: ScanResult | None = None
    correction: dict[str, Any] | None = None
    reviewed_at: dt.datetime | None = Field(
        default=None, description="when a person accepted the item's values (None: not reviewed)"
    )
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reviewed(self) -> bool:
        """True once a person accepted the item (``reviewed_at`` is set)."""
        return self.reviewed_at is not None
