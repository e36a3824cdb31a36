"""Local wiring for ``receiptflow serve``: SQLite, the filesystem, the in-process event hub, and a
background ``LocalRunner`` that processes started batches in threads (one per running batch) over one
shared worker-process pool.

Restart safety: on startup every batch left ``running`` (of the tenants with API keys) is resumed. On a
clean shutdown the running batches are stopped (in-flight items finish) and put back to ``running``, so
the next start resumes them; after a crash the runner's ``release_running`` does the same.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from receiptflow.adapters.webhook_notifier import WebhookNotifier
from receiptflow.api.auth import ApiKeyAuthenticator
from receiptflow.api.circuits import circuit_reader
from receiptflow.api.ratelimit import RateLimiter
from receiptflow.api.schemas import FileSpec, UploadTarget
from receiptflow.api.services import ApiServices
from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchStatus, CompleteEvent, ScanResult, utcnow
from receiptflow.ports import BatchStore, EventPublisher
from receiptflow.settings import Settings
from receiptflow.webhooks import SECRET_FILENAME, load_or_create_secret

logger = logging.getLogger(__name__)

RESUME_SCAN_LIMIT = 1000
SHUTDOWN_JOIN_SECONDS = 60.0


class LocalUploads:
    """Locally the app itself takes the files: one multipart target, the ``files`` route."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes

    def targets(self, batch: Batch, files_url: str, files: list[FileSpec]) -> list[UploadTarget]:
        return [UploadTarget(url=files_url, file_field="files", max_bytes=self._max_bytes)]


class BatchRunner(Protocol):
    """What ``LocalControl`` needs from ``receiptflow.runner.LocalRunner``."""

    def run_batch(self, batch_id: str, *, stop: threading.Event | None = None) -> Batch:
        """Process the batch's unfinished items until done or ``stop`` is set."""
        ...

    def close(self) -> None:
        """Stop the worker processes."""
        ...


@dataclass
class _Run:
    thread: threading.Thread
    stop: threading.Event
    cancelled_by_user: bool = False
    outcome: dict[str, Any] = field(default_factory=dict)


class LocalControl:
    """Starts each batch's ``run_batch`` in a background thread; cancel sets its stop event."""

    def __init__(
        self,
        store: BatchStore,
        publisher: EventPublisher,
        runner: BatchRunner,
        notifier: WebhookNotifier | None = None,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._runner = runner
        self._notifier = notifier
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def start(self, batch: Batch) -> Batch:
        started = self._store.set_batch_status(
            batch.batch_id, BatchStatus.RUNNING, expected=[BatchStatus.CREATED], started_at=utcnow()
        )
        self._launch(batch.batch_id)
        return started

    def retry_failed(self, batch: Batch) -> Batch:
        terminal = [s for s in BatchStatus if s.terminal]
        self._store.reset_failed(batch.batch_id)
        restarted = self._store.set_batch_status(
            batch.batch_id, BatchStatus.RUNNING, expected=terminal, finished_at=None
        )
        self._launch(batch.batch_id)
        return restarted

    def cancel(self, batch: Batch) -> Batch:
        with self._lock:
            run = self._runs.get(batch.batch_id)
            if run is not None and run.thread.is_alive():
                run.cancelled_by_user = True
                run.stop.set()
                return self._store.get_batch(batch.tenant_id, batch.batch_id)
        # Not being processed here (never started, or left running by a crash): cancel in place.
        self._store.cancel_unfinished(batch.batch_id)
        done = self._store.set_batch_status(
            batch.batch_id,
            BatchStatus.CANCELLED,
            expected=[BatchStatus.CREATED, BatchStatus.RUNNING],
            finished_at=utcnow(),
        )
        duration = (
            (done.finished_at - done.started_at).total_seconds()
            if done.started_at and done.finished_at
            else 0
        )
        self._publisher.publish(
            CompleteEvent(
                batch_id=done.batch_id,
                seq=self._store.next_seq(done.batch_id),
                status=done.status,
                counts=done.counts,
                duration_s=round(duration, 3),
                cost_usd=done.cost_usd,
            )
        )
        if self._notifier is not None:
            self._notifier.batch_completed(done)
        return done

    def resume(self, batches: Iterable[Batch]) -> list[str]:
        """Restart processing of batches left ``running``; returns their ids."""
        resumed = []
        for batch in batches:
            if batch.status is BatchStatus.RUNNING and not self.is_active(batch.batch_id):
                self._launch(batch.batch_id)
                resumed.append(batch.batch_id)
        return resumed

    def is_active(self, batch_id: str) -> bool:
        """True while a runner thread works on the batch."""
        with self._lock:
            run = self._runs.get(batch_id)
            return run is not None and run.thread.is_alive()

    def shutdown(self) -> None:
        """Stop every running batch (in-flight items finish) and leave it ``running`` for the next start."""
        with self._lock:
            runs = dict(self._runs)
        for run in runs.values():
            run.stop.set()
        for batch_id, run in runs.items():
            run.thread.join(SHUTDOWN_JOIN_SECONDS)
            if not run.cancelled_by_user and run.outcome.get("status") is BatchStatus.CANCELLED:
                try:
                    self._store.set_batch_status(
                        batch_id, BatchStatus.RUNNING, expected=[BatchStatus.CANCELLED], finished_at=None
                    )
                except ConflictError:
                    logger.warning("batch changed during shutdown", extra={"batch_id": batch_id})
        self._runner.close()

    def _launch(self, batch_id: str) -> None:
        with self._lock:
            current = self._runs.get(batch_id)
            if current is not None and current.thread.is_alive():
                raise ConflictError("the batch is already being processed")
            stop = threading.Event()
            run = _Run(thread=threading.Thread(), stop=stop)
            run.thread = threading.Thread(
                target=self._run, args=(batch_id, run), name=f"batch-{batch_id[:8]}", daemon=True
            )
            self._runs[batch_id] = run
            run.thread.start()

    def _run(self, batch_id: str, run: _Run) -> None:
        try:
            final = self._runner.run_batch(batch_id, stop=run.stop)
            run.outcome["status"] = final.status
            stopped_for_shutdown = final.status is BatchStatus.CANCELLED and not run.cancelled_by_user
            if self._notifier is not None and final.status.terminal and not stopped_for_shutdown:
                self._notifier.batch_completed(final)
        except Exception:  # a runner crash must not kill the server; the batch stays running for resume
            logger.exception("batch runner failed", extra={"batch_id": batch_id})


def _locked_scan(settings: Settings, cache: Any) -> Callable[[bytes, str], ScanResult]:
    lock = threading.Lock()
    scanner: list[Any] = []

    def scan(data: bytes, source: str) -> ScanResult:
        from receiptflow.pipeline import Scanner
        from receiptflow.providers.factory import build_provider

        with lock:  # one OCR engine in this process; synchronous scans take turns
            if not scanner:
                scanner.append(Scanner(build_provider(settings.provider, settings), cache, settings))
            result: ScanResult = scanner[0].process(data, source)
            return result

    return scan


def build_local_services(settings: Settings, keys: dict[str, str]) -> tuple[ApiServices, LocalControl]:
    """Services on ``settings.data_dir`` (SQLite ``receiptflow.db`` and ``blobs/``) for the given API keys."""
    from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
    from receiptflow.adapters.embedded.blob_store import FileBlobStore
    from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
    from receiptflow.adapters.embedded.cache import SqliteResultCache
    from receiptflow.adapters.embedded.event_hub import EventHub
    from receiptflow.runner import LocalRunner

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_path = settings.data_dir / "receiptflow.db"
    store = SqliteBatchStore(db_path)
    blobs = FileBlobStore(settings.data_dir / "blobs")
    cache = SqliteResultCache(db_path) if settings.cache_enabled else None
    hub = EventHub()
    runner = LocalRunner(store, cache, hub, settings, blobs=blobs)

    def webhook_secret() -> str:
        return settings.webhook_secret or load_or_create_secret(settings.data_dir / SECRET_FILENAME)

    control = LocalControl(store, hub, runner, WebhookNotifier(webhook_secret))
    authenticator = ApiKeyAuthenticator(keys)

    def resume() -> None:
        for tenant in sorted(authenticator.tenants):
            ids = control.resume(store.list_batches(tenant, limit=RESUME_SCAN_LIMIT))
            if ids:
                logger.info("resumed batches", extra={"tenant": tenant, "batches": ids})

    services = ApiServices(
        settings=settings,
        store=store,
        blobs=blobs,
        control=control,
        authenticator=authenticator,
        uploads=LocalUploads(settings.max_file_bytes),
        scan=_locked_scan(settings, cache),
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        events=hub,
        circuit_states=circuit_reader(SqliteBreakerStore(db_path), settings),
        health_checks={
            "batch_store": lambda: store.list_batches("__health__", limit=1),
            "blob_store": lambda: blobs.exists("health/probe"),
        },
        on_startup=[resume],
        on_shutdown=[control.shutdown],
    )
    return services, control
