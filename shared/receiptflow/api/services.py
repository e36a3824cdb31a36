"""What the API needs from its environment: the batch service, ports and a few callables, built by the
composition roots (``receiptflow.wiring.local`` / ``receiptflow.wiring.aws``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from receiptflow.api.auth import Authenticator
from receiptflow.api.ratelimit import RateLimiter
from receiptflow.api.schemas import FileSpec, UploadTarget
from receiptflow.batches.service import BatchService
from receiptflow.models import Batch, Event, ScanResult
from receiptflow.ports import BatchStore, BlobStore
from receiptflow.settings import Settings


class UploadPlanner(Protocol):
    """Where a client sends a new batch's files."""

    def targets(self, batch: Batch, files_url: str, files: list[FileSpec]) -> list[UploadTarget]:
        """Upload targets for ``batch`` (``files`` as announced; may be empty); ``files_url`` is this
        app's multipart upload route."""
        ...


class EventFeed(Protocol):
    """The in-process event hub the local runner publishes to (absent in AWS: API Gateway WebSockets)."""

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to the batch's subscribers."""
        ...

    def subscribe(self, batch_id: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback`` (on the publisher's thread) for each new event; returns unsubscribe."""
        ...

    def history(self, batch_id: str, after_seq: int = 0) -> list[Event]:
        """Kept events of the batch with ``seq > after_seq``, oldest first (bounded)."""
        ...


ScanFn = Callable[[bytes, str], ScanResult]


@dataclass
class ApiServices:
    """Everything the routes use. ``create_app`` takes one; tests may build their own. Every batch
    lifecycle step goes through ``batches``; ``store`` is for reading items."""

    settings: Settings
    store: BatchStore
    blobs: BlobStore
    batches: BatchService
    authenticator: Authenticator
    uploads: UploadPlanner
    scan: ScanFn
    rate_limiter: RateLimiter
    events: EventFeed | None = None
    circuit_states: Callable[[], dict[str, Any]] = dict
    # which providers are configured, in the chain, and why not (``wiring.providers.provider_readiness``)
    provider_readiness: Callable[[], list[dict[str, Any]]] = list
    health_checks: dict[str, Callable[[], object]] = field(default_factory=dict)
    on_startup: list[Callable[[], None]] = field(default_factory=list)
    on_shutdown: list[Callable[[], None]] = field(default_factory=list)
