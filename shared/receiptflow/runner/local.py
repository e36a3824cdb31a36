"""``LocalRunner``: scans a batch's pending items on a bounded pool of worker processes.

The main process reads each item, hashes it and answers repeats itself (an earlier result of the same
content in this batch, or the result cache); only misses go to the pool, which is started on the first
miss and reused afterwards. Workers get the item's key, not its bytes, and read it themselves: small
task messages keep a broken pool (a worker killed mid-batch) from wedging on a full pipe. Results are
persisted one by one (``finish_item``) as they come back and published at once, so a crash loses at
most the items in flight and the first event arrives after about one image's latency.

Items name their bytes by ``blob_key``: an absolute filesystem path (the CLI scans files in place) or a
key in the runner's ``BlobStore`` (the server stores uploads in a ``FileBlobStore``). Blob keys are
never absolute, so the two cannot be confused. The cache and blob store travel to the workers, so they
must be picklable (the embedded ones are).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

from receiptflow.errors import ReceiptflowError, StoreUnavailableError, WorkerCrashedError
from receiptflow.models import (
    Batch,
    BatchCounts,
    BatchItem,
    BatchStatus,
    CompleteEvent,
    Event,
    ItemStatus,
    ScanResult,
    utcnow,
)
from receiptflow.ports import BatchStore, BlobStore, EventPublisher, ResultCache
from receiptflow.runner.events import ProgressTracker, item_event
from receiptflow.runner.worker import init_worker, read_source, scan_task, sigint_blocked
from receiptflow.scanning.scanner import error_result, served_from_cache, sha256_hex, source_cache_key
from receiptflow.settings import Settings

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
POLL_S = 0.2
MAX_WORKER_CRASHES = 2  # a job on a dead pool is resubmitted once; a second death is its own fault


def final_status(counts: BatchCounts) -> BatchStatus:
    """cancelled if anything was cancelled; else succeeded / failed (all failed) / partially_failed."""
    if counts.cancelled:
        return BatchStatus.CANCELLED
    if counts.failed == 0:
        return BatchStatus.SUCCEEDED
    if counts.succeeded == 0:
        return BatchStatus.FAILED
    return BatchStatus.PARTIALLY_FAILED


def copy_result(result: ScanResult, source: str) -> ScanResult:
    """``result`` for a duplicate of its content in the same batch (scanned once, served cached)."""
    return result.model_copy(
        update={"source": source, "cached": result.ok, "duration_ms": 0.0, "attempts": 0, "cost_usd": 0.0}
    )


class LocalRunner:
    """Runs batches on this machine. Thread-safe: the server may run several batches at once on the
    one shared pool. Call :meth:`close` (or use it as a context manager) to stop the workers."""

    def __init__(
        self,
        store: BatchStore,
        cache: ResultCache | None,
        publisher: EventPublisher,
        settings: Settings,
        provider_name: str | None = None,
        *,
        blobs: BlobStore | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.publisher = publisher
        self.settings = settings
        self.provider_name = provider_name or settings.provider
        self.blobs = blobs
        self.workers = max(1, settings.workers)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pool_started(self) -> bool:
        """True once a worker process pool exists (only after the first cache miss)."""
        return self._pool is not None

    def close(self) -> None:
        """Shut the worker pool down (waits for running tasks)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=init_worker,
                    initargs=(self.settings, self.cache, self.blobs),
                )
            return self._pool

    def discard_pool(self, broken: ProcessPoolExecutor) -> None:
        """Drop ``broken`` without waiting for it, if it is still the current pool; the next miss
        starts a fresh one (so several futures of one dead pool discard it only once).

        Not waiting lets the batch finish and be recorded even in the rare case (a worker killed inside
        the pool's own queue code) where CPython 3.11's pool manager thread never ends (cpython issues
        83386, 132969); the process may then need a second Ctrl-C to exit."""
        with self._lock:
            if self._pool is not broken:
                return
            self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    def read_item(self, item: BatchItem) -> bytes:
        """The item's bytes, from its absolute path or the blob store; typed intake errors otherwise."""
        return read_source(item.blob_key, item.source, self.blobs, self.settings.max_file_bytes)

    def run_batch(self, batch_id: str, *, stop: threading.Event | None = None) -> Batch:
        """Scan every unfinished item of ``batch_id`` and return the batch in its final state.

        Resumes: items a crashed run left running, and items a stopped run cancelled, are scanned
        again; finished items are kept. When ``stop`` is set, items in flight finish, the rest become
        cancelled, and the batch ends ``cancelled``."""
        return _BatchRun(self, batch_id, stop or threading.Event()).execute()


@dataclass
class _Job:
    item: BatchItem
    sha256: str
    followers: list[BatchItem] = field(default_factory=list)
    pool: ProcessPoolExecutor | None = None
    crashes: int = 0  # times a worker died while this job was in flight


class _BatchRun:
    """The state of one ``run_batch`` call."""

    def __init__(self, runner: LocalRunner, batch_id: str, stop: threading.Event) -> None:
        self.runner = runner
        self.store = runner.store
        self.batch_id = batch_id
        self.stop = stop
        self.inflight: dict[Future[str], _Job] = {}
        self.by_sha: dict[str, _Job] = {}
        self.finished_by_sha: dict[str, ScanResult] = {}
        self.max_inflight = runner.workers * 2

    def execute(self) -> Batch:
        store = self.store
        store.release_running(self.batch_id)
        store.reset_cancelled(self.batch_id)
        batch = store.set_batch_status(self.batch_id, BatchStatus.RUNNING, finished_at=None)
        if batch.started_at is None:
            batch = store.set_batch_status(self.batch_id, BatchStatus.RUNNING, started_at=utcnow())
        self.provider_name = batch.options.provider or self.runner.provider_name
        cache = self.runner.cache
        self.cache = cache if batch.options.use_cache and self.runner.settings.cache_enabled else None
        self.tracker = ProgressTracker(self.batch_id, batch.counts)
        self._publish_progress()

        cursor: str | None = None
        while not self.stop.is_set():
            page = store.list_items(self.batch_id, status=ItemStatus.PENDING, after=cursor, limit=PAGE_SIZE)
            if not page:
                break
            for item in page:
                cursor = item.item_id
                while len(self.inflight) >= self.max_inflight and not self.stop.is_set():
                    self._collect(POLL_S)
                if self.stop.is_set():
                    break
                self._dispatch(item)
                if self.inflight:
                    self._collect(0)
        if self.stop.is_set():
            for fut in self.inflight:
                fut.cancel()  # queued, not started: its item stays running and is cancelled below
        while self.inflight:
            self._collect(POLL_S)

        if self.stop.is_set():
            self.tracker.record_cancelled(store.cancel_unfinished(self.batch_id))
        counts = store.get_batch(batch.tenant_id, self.batch_id).counts
        status = final_status(counts)
        done = store.set_batch_status(self.batch_id, status, finished_at=utcnow())
        self._publish_progress(force=True)
        self._publish(
            CompleteEvent(
                batch_id=self.batch_id,
                seq=store.next_seq(self.batch_id),
                status=status,
                counts=done.counts,
                duration_s=round(self.tracker.elapsed_s, 3),
                cost_usd=done.cost_usd,
            )
        )
        return done

    # --- feeding the pool --------------------------------------------------------------------------
    def _dispatch(self, item: BatchItem) -> None:
        if not self.store.claim_item(self.batch_id, item.item_id):
            return  # someone else took it
        start = time.perf_counter()
        try:
            data = self.runner.read_item(item)
        except ReceiptflowError as e:
            self._finish(item, error_result(e, item.source, None, (time.perf_counter() - start) * 1000))
            return
        sha = sha256_hex(data)
        earlier = self.finished_by_sha.get(sha)
        if earlier is not None:
            self._finish(item, copy_result(earlier, item.source))
            return
        job = self.by_sha.get(sha)
        if job is not None:
            job.followers.append(item)
            return
        stored = self._cached(sha)
        if stored is not None:
            elapsed_ms = (time.perf_counter() - start) * 1000
            self._finish(item, served_from_cache(stored, item.source, sha, elapsed_ms))
            return
        self._submit(_Job(item=item, sha256=sha))

    def _cached(self, sha: str) -> ScanResult | None:
        """The cached result for this content; an unavailable cache is a miss (the worker scans)."""
        if self.cache is None:
            return None
        try:
            return self.cache.get(source_cache_key(sha, self.provider_name))
        except StoreUnavailableError:
            logger.warning("result cache unavailable", extra={"batch_id": self.batch_id})
            return None

    def _submit(self, job: _Job) -> None:
        item, use_cache = job.item, self.cache is not None
        with sigint_blocked():  # workers spawned now start with Ctrl-C blocked, until they ignore it
            job.pool = self.runner._executor()
            fut = job.pool.submit(scan_task, item.blob_key or "", item.source, self.provider_name, use_cache)
        self.inflight[fut] = job
        self.by_sha[job.sha256] = job

    def _collect(self, timeout: float) -> None:
        done, _ = wait(list(self.inflight), timeout=timeout, return_when=FIRST_COMPLETED)
        for fut in done:
            job = self.inflight.pop(fut)
            self.by_sha.pop(job.sha256, None)
            if fut.cancelled():
                continue
            try:
                result = ScanResult.model_validate_json(fut.result())
            except BrokenProcessPool:  # a worker died (killed, out of memory): a fresh pool next
                logger.error("worker process died", extra={"source": job.item.source})
                if job.pool is not None:
                    self.runner.discard_pool(job.pool)
                if self.stop.is_set():
                    continue  # stopping anyway: the item stays unfinished and is cancelled, not failed
                job.crashes += 1
                if job.crashes < MAX_WORKER_CRASHES:
                    self._submit(job)  # most items on a dead pool were bystanders: scan them again
                    continue
                crashed = WorkerCrashedError(f"the worker scanning this image died {job.crashes} times")
                result = error_result(crashed, job.item.source, job.sha256)
            except Exception as e:  # the task itself failed in a way the worker did not catch
                result = error_result(e, job.item.source, job.sha256)
            self._remember(job.sha256, result)
            self._finish(job.item, result)
            for follower in job.followers:
                self._finish(follower, copy_result(result, follower.source))
        if self.tracker.due():
            self._publish_progress()

    def _remember(self, sha: str, result: ScanResult) -> None:
        """Keep a finished result for later duplicates in this batch. Ok results are kept only without
        a cache (the cache answers them otherwise), so memory stays small on big batches."""
        if self.cache is None or not result.ok:
            self.finished_by_sha[sha] = result

    # --- recording ---------------------------------------------------------------------------------
    def _finish(self, item: BatchItem, result: ScanResult) -> None:
        if not self.store.finish_item(self.batch_id, item.item_id, result):
            return  # already terminal: a duplicate worker; counted once
        self.tracker.record(result)
        event = item_event(self.batch_id, item.item_id, result, self.store.next_seq(self.batch_id))
        if event is not None:
            self._publish(event)
        if self.tracker.due():
            self._publish_progress()

    def _publish_progress(self, *, force: bool = False) -> None:
        if force or self.tracker.due():
            self._publish(self.tracker.event(self.store.next_seq(self.batch_id)))

    def _publish(self, event: Event) -> None:
        try:
            self.runner.publisher.publish(event)
        except Exception:  # events are best effort; the result is already stored
            logger.exception("publishing an event failed", extra={"batch_id": self.batch_id})
