"""The local composition root: SQLite, the filesystem, the in-process event hub and the process pool, for
one data directory (``receiptflow scan`` and ``receiptflow serve``).

Each part is built once, on first use, by a cached property of :class:`LocalRoot` (the local counterpart
of the ``lru_cache`` factories of ``wiring.aws``: one root per data directory, since a test or a command
may point at several). Nothing is built at import time.

Restart safety for ``serve``: at startup every batch left ``running`` (of the tenants with API keys) is
resumed and every batch left ``cancelling`` is settled. Shutting down is not a cancel: items in flight
finish, and their batches stay ``running`` for the next start to resume.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable
from dataclasses import asdict
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from receiptflow.models import Batch, BatchStatus, ScanResult
from receiptflow.settings import Settings

if TYPE_CHECKING:
    from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
    from receiptflow.adapters.embedded.blob_store import FileBlobStore
    from receiptflow.adapters.embedded.cache import SqliteResultCache
    from receiptflow.adapters.embedded.event_hub import EventHub
    from receiptflow.adapters.embedded.process_pool import ProcessPoolDispatcher
    from receiptflow.api.services import ApiServices
    from receiptflow.batches.service import BatchService
    from receiptflow.ports import BlobStore, ResultCache
    from receiptflow.scanning.worker import ScannerBuilder

logger = logging.getLogger(__name__)

RESUME_SCAN_LIMIT = 1000
SCAN_PREFIX = "scans/"  # blob keys of images handed to a worker by POST /v1/scan


def init_local_worker(
    settings: Settings, cache: ResultCache | None, blobs: BlobStore | None, build_scanner: ScannerBuilder
) -> None:
    """The pool's initializer, in each worker process: its resource limits first (it exits with its parent,
    its memory is capped), then the scanning state (``receiptflow.scanning.worker.init_worker``)."""
    from receiptflow.adapters.embedded.worker_limits import apply_worker_limits
    from receiptflow.scanning.worker import init_worker

    apply_worker_limits(settings)
    init_worker(settings, cache, blobs, build_scanner)


class LocalRoot:
    """Every embedded part for ``settings.data_dir`` (``receiptflow.db`` and ``blobs/``), built once.
    ``event_history`` bounds the events the hub keeps per batch for late subscribers.

    ``settings.workers`` 0 (the default) is resolved here from the machine's cores and memory
    (``receiptflow.wiring.capacity``), and so are the OCR threads per worker: the pool, its workers'
    engines and ``/v1/scan`` all see the real counts."""

    def __init__(self, settings: Settings, *, event_history: int = 1000) -> None:
        from receiptflow.wiring.capacity import resolve_workers

        self.settings = resolve_workers(settings).apply(settings)
        self._event_history = event_history

    @cached_property
    def db_path(self) -> Path:
        """The SQLite file every embedded store shares."""
        from receiptflow.adapters.embedded.sqlite_db import default_db_path

        return default_db_path(self.settings)

    @cached_property
    def store(self) -> SqliteBatchStore:
        """Batches, items and results."""
        from receiptflow.adapters.embedded.batch_store import SqliteBatchStore

        return SqliteBatchStore(self.db_path)

    @cached_property
    def blobs(self) -> FileBlobStore:
        """Uploaded files (items the CLI scans in place are named by their absolute path instead)."""
        from receiptflow.adapters.embedded.blob_store import FileBlobStore

        return FileBlobStore(self.settings.data_dir / "blobs")

    @cached_property
    def cache(self) -> SqliteResultCache | None:
        """The content-hash result cache (None when caching is off)."""
        from receiptflow.adapters.embedded.cache import SqliteResultCache

        return SqliteResultCache(self.db_path) if self.settings.cache_enabled else None

    @cached_property
    def hub(self) -> EventHub:
        """The in-process event hub (publisher for the service, feed for SSE/WebSocket and the CLI)."""
        from receiptflow.adapters.embedded.event_hub import EventHub

        return EventHub(history_size=self._event_history)

    @cached_property
    def dispatcher(self) -> ProcessPoolDispatcher:
        """The process pool (workers spawn on the first item that needs one)."""
        from receiptflow.adapters.embedded.process_pool import ProcessPoolDispatcher
        from receiptflow.scanning.worker import ParentPreparer
        from receiptflow.wiring.providers import local_scanner

        settings, cache, blobs = self.settings, self.cache, self.blobs
        return ProcessPoolDispatcher(
            workers=settings.workers,
            initializer=init_local_worker,
            initargs=(settings, cache, blobs, local_scanner),
            prepare=ParentPreparer(settings, cache, blobs),
            memory_limit_mb=settings.worker_memory_limit_mb,
            resident_budget_mb=settings.worker_memory_budget_mb,
            item_timeout_s=settings.item_timeout_seconds,
        )

    @cached_property
    def batches(self) -> BatchService:
        """THE batch service over the embedded parts; the pool reports its completions to it."""
        from receiptflow.adapters.webhook_notifier import WebhookNotifier
        from receiptflow.batches.service import BatchService
        from receiptflow.webhooks import SECRET_FILENAME, load_or_create_secret

        settings = self.settings

        def webhook_secret() -> str:  # asked on the first delivery only
            return settings.webhook_secret or load_or_create_secret(settings.data_dir / SECRET_FILENAME)

        service = BatchService(
            settings=settings,
            store=self.store,
            dispatcher=self.dispatcher,
            publisher=self.hub,
            blobs=self.blobs,
            notifier=WebhookNotifier(webhook_secret),
        )
        self.dispatcher.connect(service)
        return service

    def scan(self, data: bytes, source: str) -> ScanResult:
        """One image scanned now (``POST /v1/scan``) by a worker of the pool, never in this process: the
        same memory and time limits as a batch item apply, and a breach raises its typed error
        (``resource_limit``) while this process stays up. The bytes reach the worker through the blob
        store (``scans/<random>``, removed afterwards); typed scan errors are raised as they are."""
        from receiptflow.ports import PoolTask
        from receiptflow.scanning.scanner import sha256_hex
        from receiptflow.scanning.worker import process_task

        key = f"{SCAN_PREFIX}{uuid.uuid4().hex}"
        self.blobs.put(key, data)
        try:
            task = PoolTask(
                key=sha256_hex(data),
                fn=process_task,
                args=(key, source, self.settings.provider, self.cache is not None),
            )
            return ScanResult.model_validate_json(self.dispatcher.call(task))
        finally:
            self.blobs.delete(key)

    def run_to_end(self, batch: Batch, *, interrupt: threading.Event | None = None) -> Batch:
        """Run the batch's unfinished items (a resume) here and wait until the run ends; setting
        ``interrupt`` cancels the batch. Raises the error that ended the run early (e.g. the database
        stayed unavailable: the same call again goes on). Returns the batch as it ended."""
        batches, dispatcher = self.batches, self.dispatcher
        batches.resume(batch)
        cancelled = False
        while not dispatcher.wait(batch.batch_id, timeout=0.2):
            if interrupt is not None and interrupt.is_set() and not cancelled:
                batches.cancel(batches.get(batch.tenant_id, batch.batch_id))
                cancelled = True
        failure = dispatcher.failure(batch.batch_id)
        if failure is not None:
            raise failure
        return batches.get(batch.tenant_id, batch.batch_id)

    def resume_interrupted(self, tenants: Iterable[str]) -> list[str]:
        """Resume the tenants' batches a stopped or crashed process left ``running`` and settle those it
        left ``cancelling``; returns the ids resumed."""
        resumed: list[str] = []
        for tenant in sorted(set(tenants)):
            for batch in self.store.list_batches(tenant, limit=RESUME_SCAN_LIMIT):
                if self.dispatcher.is_active(batch.batch_id):
                    continue
                if batch.status is BatchStatus.RUNNING:
                    self.batches.resume(batch)
                    resumed.append(batch.batch_id)
                elif batch.status is BatchStatus.CANCELLING:
                    self.batches.finish_run(batch.tenant_id, batch.batch_id)
        if resumed:
            logger.info("resumed batches", extra={"batches": resumed})
        return resumed

    def shutdown(self) -> None:
        """Stop feeding every run (not a cancel), let items in flight finish, stop the workers."""
        if "dispatcher" in self.__dict__:
            self.dispatcher.shutdown()

    def api_services(self, keys: dict[str, str]) -> ApiServices:
        """What the routes of ``receiptflow serve`` use, for the given API keys (key → tenant)."""
        from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
        from receiptflow.api.auth import ApiKeyAuthenticator
        from receiptflow.api.circuits import circuit_reader
        from receiptflow.api.ratelimit import RateLimiter
        from receiptflow.api.services import ApiServices
        from receiptflow.api.uploads import LocalUploads
        from receiptflow.wiring.providers import chain_names, provider_readiness

        settings = self.settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        authenticator = ApiKeyAuthenticator(keys)
        store, blobs = self.store, self.blobs

        def resume() -> None:
            self.resume_interrupted(authenticator.tenants)

        return ApiServices(
            settings=settings,
            store=store,
            blobs=blobs,
            batches=self.batches,
            authenticator=authenticator,
            uploads=LocalUploads(settings.max_file_bytes),
            scan=self.scan,
            rate_limiter=RateLimiter(settings.rate_limit_per_minute),
            events=self.hub,
            circuit_states=circuit_reader(
                SqliteBreakerStore(self.db_path), settings, chain_names(settings, mode="local")
            ),
            provider_readiness=lambda: [asdict(r) for r in provider_readiness(settings, mode="local")],
            health_checks={
                "batch_store": lambda: store.list_batches("__health__", limit=1),
                "blob_store": lambda: blobs.exists("health/probe"),
            },
            on_startup=[resume],
            on_shutdown=[self.shutdown],
        )
