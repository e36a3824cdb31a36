"""What the workflow core needs, as ports: a store, blobs, an event publisher and a completion notifier."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from receiptflow.models import Batch
from receiptflow.ports import BatchStore, BlobStore, EventPublisher
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import Settings


class CompletionNotifier(Protocol):
    """Announces a finished batch to the outside world (EventBridge ``BatchCompleted`` in AWS)."""

    def batch_completed(self, batch: Batch, summary_key: str | None) -> None:
        """Tell listeners ``batch`` reached its final status."""
        ...


class NullNotifier:
    """A notifier that tells no one (local runs and tests that do not look)."""

    def batch_completed(self, batch: Batch, summary_key: str | None) -> None:
        """Do nothing."""


class NullPublisher:
    """A publisher with no subscribers (no WebSocket endpoint configured)."""

    def publish(self, event: object) -> None:
        """Drop ``event``."""


ScannerFactory = Callable[[str | None], Scanner]


@dataclass
class Workflow:
    """The ports every workflow step uses. ``bucket`` names the S3 bucket behind ``blobs`` (for Textract
    ``S3Object`` references and manifest locations); ``scanners`` builds a scanner for a provider name
    (None = the configured default) and is only called by the scan step."""

    settings: Settings
    store: BatchStore
    blobs: BlobStore
    bucket: str
    publisher: EventPublisher = field(default_factory=NullPublisher)
    notifier: CompletionNotifier = field(default_factory=NullNotifier)
    scanners: ScannerFactory | None = None

    def scanner(self, provider: str | None) -> Scanner:
        """The scanner for ``provider`` (None = ``settings.provider``)."""
        if self.scanners is None:
            raise RuntimeError("this workflow was built without scanners")
        return self.scanners(provider)
