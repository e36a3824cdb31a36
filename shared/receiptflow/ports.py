"""Ports: the interfaces the core depends on. Embedded (SQLite/filesystem) and AWS (S3/DynamoDB)
adapters both implement them, and one contract suite per port runs against both.

Conventions every adapter follows:
- missing things raise ``NotFoundError``; lost races raise ``ConflictError`` (never a vendor error);
- reads ignore expired entries themselves (DynamoDB TTL deletes lazily);
- item transitions and batch counters change together, so a retried worker cannot make counts drift.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from receiptflow.document import Document
from receiptflow.models import Batch, BatchItem, BatchStatus, Event, ItemStatus, Receipt, ScanResult


class BlobStore(Protocol):
    """Images and exports by key (filesystem locally, S3 in AWS)."""

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store ``data`` under ``key`` (overwrites)."""
        ...

    def get(self, key: str) -> bytes:
        """Bytes under ``key``; ``NotFoundError`` when absent."""
        ...

    def exists(self, key: str) -> bool:
        """True when ``key`` holds an object."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key``; absent keys are fine."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """All keys under ``prefix``, sorted."""
        ...


class ResultCache(Protocol):
    """Content-hash cache of scan results, with a TTL."""

    def get(self, key: str) -> ScanResult | None:
        """The stored result, or None when absent or expired (an expired entry is never served)."""
        ...

    def put(self, key: str, result: ScanResult, ttl_seconds: int) -> None:
        """Store ``result`` until ``ttl_seconds`` from now."""
        ...


class BatchStore(Protocol):
    """Batches, their items and results (SQLite locally, DynamoDB in AWS)."""

    def create_batch(self, batch: Batch) -> None:
        """Insert a new batch; ``ConflictError`` if the id exists."""
        ...

    def get_batch(self, tenant_id: str, batch_id: str) -> Batch:
        """The batch, with live counts; another tenant's batch raises ``NotFoundError`` like a missing one."""
        ...

    def list_batches(self, tenant_id: str, limit: int = 50) -> list[Batch]:
        """The tenant's batches, newest first."""
        ...

    def set_batch_status(
        self,
        batch_id: str,
        status: BatchStatus,
        *,
        expected: Sequence[BatchStatus] | None = None,
        **fields: Any,
    ) -> Batch:
        """Move the batch to ``status`` (and set extra columns such as ``started_at``, ``finished_at``,
        ``execution_arn``, ``cost_usd``); ``ConflictError`` when the current status is not in ``expected``."""
        ...

    def add_items(self, items: Sequence[BatchItem]) -> int:
        """Add items (idempotent per ``item_id``); returns how many were new. Counts follow."""
        ...

    def get_item(self, batch_id: str, item_id: str) -> BatchItem:
        """One item; ``NotFoundError`` when absent."""
        ...

    def list_items(
        self,
        batch_id: str,
        *,
        status: ItemStatus | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[BatchItem]:
        """Items ordered by ``item_id``, starting after the ``after`` cursor."""
        ...

    def claim_item(self, batch_id: str, item_id: str) -> bool:
        """Atomically move a pending item to running; False when it was not pending."""
        ...

    def finish_item(self, batch_id: str, item_id: str, result: ScanResult) -> bool:
        """Record the final result of a non-terminal item and bump the batch counters in the same
        atomic step. Returns False (and changes nothing) when the item was already terminal."""
        ...

    def cancel_pending(self, batch_id: str) -> int:
        """Mark every pending item cancelled (running ones are left to finish); returns how many."""
        ...

    def cancel_unfinished(self, batch_id: str) -> int:
        """Mark every pending/running item cancelled; returns how many."""
        ...

    def release_running(self, batch_id: str) -> int:
        """Move items left running by a crashed worker back to pending; returns how many."""
        ...

    def reset_failed(self, batch_id: str) -> list[BatchItem]:
        """Move failed items back to pending (counts follow); returns them."""
        ...

    def reset_cancelled(self, batch_id: str) -> list[BatchItem]:
        """Move cancelled items back to pending (counts follow) so a resumed run scans them."""
        ...

    def set_correction(self, batch_id: str, item_id: str, correction: dict[str, Any]) -> BatchItem:
        """Store a user correction beside the machine result (both kept)."""
        ...

    def set_reviewed(self, batch_id: str, item_id: str, reviewed: bool) -> BatchItem:
        """Mark the item reviewed (``reviewed_at`` = now) or not; scanning it again clears the mark."""
        ...

    def next_seq(self, batch_id: str) -> int:
        """Next per-batch event sequence number (1, 2, 3, ... atomically)."""
        ...


class BreakerPhase(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerState:
    """Shared circuit-breaker state of one provider. ``version`` guards compare-and-set."""

    phase: BreakerPhase = BreakerPhase.CLOSED
    failures: int = 0
    window_start: float = 0.0
    opened_at: float = 0.0
    probe_started_at: float = 0.0
    version: int = 0


class BreakerStore(Protocol):
    """Circuit-breaker state shared by every worker (SQLite locally, DynamoDB in AWS)."""

    def load(self, name: str) -> BreakerState:
        """Current state; a fresh closed state when none is stored."""
        ...

    def compare_and_set(self, name: str, expected_version: int, new: BreakerState) -> bool:
        """Store ``new`` (with version ``expected_version + 1``) only if the stored version is
        ``expected_version``; False when another worker changed it first."""
        ...


class EventPublisher(Protocol):
    """Pushes progress events to subscribers (in-process hub locally, WebSocket API in AWS)."""

    def publish(self, event: Event) -> None:
        """Deliver ``event`` (already carrying its ``seq``) to the batch's subscribers."""
        ...


@dataclass
class ProviderOutput:
    """What a provider returns for one document."""

    receipt: Receipt
    cost_usd: float = 0.0
    billed_units: int = 0  # pages for Textract, tokens for OpenAI, 0 for local
    attempts: int = 1  # provider calls made, retries included
    providers_tried: list[str] = field(default_factory=list)


@runtime_checkable
class Provider(Protocol):
    """Reads one normalised document into a receipt. Raises ``ProviderError`` subclasses."""

    name: str

    def analyze(self, doc: Document) -> ProviderOutput:
        """Read ``doc``; ``ProviderThrottledError`` etc. on failure."""
        ...


@dataclass(frozen=True)
class Run:
    """One pass of a dispatcher over some of a batch's items (its first run, a retry, a resume)."""

    batch_id: str
    tenant_id: str
    name: str  # unique per batch: "run", "retry-<stamp>", "resume-<stamp>"
    item_ids: tuple[str, ...]
    provider: str | None = None  # the batch's provider option (None = the configured default)
    use_cache: bool = True


class Dispatcher(Protocol):
    """Runs the items of a batch somewhere: a local process pool, or Step Functions. It only moves work;
    every rule (which items, which status, which events) belongs to the batch service."""

    def start(self, run: Run) -> str | None:
        """Begin working ``run``'s items; returns an execution id (the Step Functions ARN) or None."""
        ...

    def stop(self, batch_id: str, execution_id: str | None) -> None:
        """Start no more items of the batch (a cancel); items already started finish and are recorded."""
        ...


class ItemRecorder(Protocol):
    """What a dispatcher reports to as it works (the batch service implements it)."""

    def claim_item(self, tenant_id: str, batch_id: str, item_id: str) -> BatchItem | None:
        """The item, now running, when it may start; None when it must not (taken, cancelled, batch
        not running)."""
        ...

    def record_result(self, tenant_id: str, batch_id: str, item_id: str, result: ScanResult) -> bool:
        """Store a claimed item's final result (with its events); False when it was already final."""
        ...

    def finish_run(self, tenant_id: str, batch_id: str) -> Batch:
        """A run is over (no item of it in flight any more): finalize or settle the batch."""
        ...


class CompletionNotifier(Protocol):
    """Announces a finished batch to the outside world (EventBridge ``BatchCompleted`` in AWS)."""

    def batch_completed(self, batch: Batch, summary_key: str | None) -> None:
        """Tell listeners ``batch`` reached its final status."""
        ...


@dataclass(frozen=True)
class PoolTask:
    """Work for one worker process: ``fn(*args)`` (picklable, returns a ``ScanResult`` as JSON). Items with
    the same ``key`` (content hash) are scanned once per run."""

    key: str
    fn: Callable[..., str]
    args: tuple[Any, ...]


class ItemPreparer(Protocol):
    """What the parent process does for an item before (or instead of) a worker: read it, hash it, ask the
    cache. Returns the final result (unreadable, cached) or the task to run in a worker."""

    def __call__(self, item: BatchItem, provider: str | None, use_cache: bool) -> ScanResult | PoolTask:
        """Prepare ``item`` for ``provider`` (None = the configured default)."""
        ...


@dataclass(frozen=True)
class Connection:
    """One open WebSocket connection of a tenant, subscribed to at most one batch."""

    connection_id: str
    tenant_id: str
    batch_id: str | None = None


class ConnectionRegistry(Protocol):
    """WebSocket connections and their batch subscription (a DynamoDB table in AWS)."""

    def connect(self, connection_id: str, tenant_id: str) -> None:
        """Record a new authenticated connection."""
        ...

    def get(self, connection_id: str) -> Connection | None:
        """The live connection, or None."""
        ...

    def subscribe(self, connection_id: str, batch_id: str) -> bool:
        """Point the connection at ``batch_id``; False when the connection is gone."""
        ...

    def delete(self, connection_id: str) -> None:
        """Forget a connection (absent is fine)."""
        ...


# --- the S3 drop folder (batches/ingest.py) -------------------------------------------------------------
@dataclass(frozen=True)
class StoredObject:
    """One object of a listing: its key and its version tag (S3: the ETag), which changes when the object
    is overwritten with other bytes."""

    key: str
    etag: str


class ObjectLister(Protocol):
    """Lists objects with their version tags (S3 in AWS)."""

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under ``prefix``, sorted by key."""
        ...


@dataclass(frozen=True)
class FolderTick:
    """A quiet-close timer of one drop folder: it closes the folder if ``token`` is still the folder's
    latest activity when it fires (no object arrived since it was set)."""

    tenant_id: str
    folder: str
    token: str

    def to_json(self) -> str:
        """The timer message body."""
        return json.dumps({"tenant_id": self.tenant_id, "folder": self.folder, "token": self.token})

    @classmethod
    def from_json(cls, body: str) -> FolderTick:
        """The tick a timer message body carries; ``ValueError`` for anything else."""
        data = json.loads(body)
        fields = ("tenant_id", "folder", "token")
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in fields):
            raise ValueError("not a drop-folder timer message")
        return cls(tenant_id=data["tenant_id"], folder=data["folder"], token=data["token"])


class FolderTimer(Protocol):
    """Delivers a ``FolderTick`` back to the drop-folder rule after a delay (an SQS delay queue in AWS)."""

    def schedule(self, tick: FolderTick, delay_seconds: int) -> None:
        """Deliver ``tick`` in ``delay_seconds`` (at least once)."""
        ...


class CloseState(StrEnum):
    """A drop-folder close: ``claiming`` objects, then ``frozen`` (its objects are final)."""

    CLAIMING = "claiming"
    FROZEN = "frozen"


@dataclass(frozen=True)
class FolderClaim:
    """Which close holds an object of a drop folder, and which version of it."""

    close_id: str
    etag: str


class FolderLedger(Protocol):
    """The bookkeeping of the drop folders (a few records in the batch table in AWS): each folder's latest
    activity token, each close of a folder, and which close claimed each object. An object (by name, in one
    version) is claimed by at most one close; a close claims nothing once frozen."""

    def touch(self, tenant_id: str, folder: str) -> str:
        """Record activity in the folder; returns a new token, now its latest."""
        ...

    def latest(self, tenant_id: str, folder: str) -> str | None:
        """The folder's latest activity token (None: no activity recorded)."""
        ...

    def active_since(self, tenant_id: str, folder: str) -> float | None:
        """When the folder's current activity began (epoch seconds: the first object since it last
        settled), or None when it has none."""
        ...

    def settle(self, tenant_id: str, folder: str, before: float) -> None:
        """A close that began at ``before`` took the folder's objects: activity that began earlier is over
        (activity that began since stays)."""
        ...

    def open_close(self, tenant_id: str, folder: str, close_id: str) -> CloseState:
        """Record the close ``close_id`` of the folder (``claiming``) unless it exists; its state."""
        ...

    def close_state(self, tenant_id: str, folder: str, close_id: str) -> CloseState | None:
        """The close's state, or None when it was never opened."""
        ...

    def claims(self, tenant_id: str, folder: str) -> dict[str, FolderClaim]:
        """Every claimed object of the folder, by name in the folder."""
        ...

    def claim(self, tenant_id: str, folder: str, close_id: str, objects: Sequence[StoredObject]) -> bool:
        """Claim ``objects`` (``key`` = name in the folder) for the close, each unless another close holds
        that version already (a new version of a claimed object may be claimed again). False, claiming
        nothing more, once the close is frozen."""
        ...

    def freeze(self, tenant_id: str, folder: str, close_id: str) -> None:
        """No more claims for the close (idempotent)."""
        ...

    def claimed(self, tenant_id: str, folder: str, close_id: str) -> list[str]:
        """The names the close holds, sorted."""
        ...
