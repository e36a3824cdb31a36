"""``BatchService``: THE batch lifecycle, the same in local mode and in AWS.

It owns create, add items, start, claim item, record result, record failure, cancel, retry failed,
resume, finalize, and every event with its ``seq``. It works through ports only: a ``BatchStore``, a
``Dispatcher`` (the local process pool, or Step Functions) that moves the work, an ``EventPublisher``
and a ``CompletionNotifier``. The API routes, the Lambda handlers and the local pool's completion path
all call these methods; the composition roots in ``receiptflow.wiring`` build one service per mode.

Cancel, in both modes: the batch becomes ``cancelling`` and the dispatcher is told to start nothing more,
pending items become ``cancelled`` at once, items in flight finish and keep their results, and the last
of them settles the batch as ``cancelled`` with exactly one ``complete`` event and one completion notice
(as a finished batch gets: EventBridge ``BatchCompleted`` in AWS, the batch's webhook locally). A batch left
``cancelling`` by work that died (a Lambda timed out) is settled when it is next read, once its newest
running item is older than ``settings.cancel_grace_seconds``; no timer is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from enum import StrEnum
from pathlib import PurePath

from receiptflow import blob_keys, errors
from receiptflow.batches.events import EventEmitter, complete_event, item_event, progress_event
from receiptflow.batches.payloads import (
    BatchRef,
    FailedItem,
    FinalizeOutcome,
    ItemOutcome,
    ItemRef,
    StepError,
)
from receiptflow.batches.status import CANCELLING, CREATED, RUNNING, TERMINAL, Step, final_status, move
from receiptflow.document import BlobRef
from receiptflow.errors import (
    ConflictError,
    FileReadError,
    InvalidRequestError,
    NotFoundError,
    ReceiptflowError,
)
from receiptflow.export import items_to_csv
from receiptflow.models import (
    Batch,
    BatchItem,
    BatchStatus,
    ItemStatus,
    ScanError,
    ScanResult,
    ScanStatus,
    utcnow,
)
from receiptflow.paging import iter_items
from receiptflow.ports import BatchStore, BlobStore, CompletionNotifier, Dispatcher, EventPublisher, Run
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import Settings

logger = logging.getLogger(__name__)

ScannerFactory = Callable[[str | None], Scanner]


_NOT_PROCESSED = ScanError(
    code="not_processed", message="the run ended before this item was scanned", retryable=True
)


class RunEnd(StrEnum):
    """How a run's execution ended outside Finalize (Step Functions' execution statuses)."""

    ABORTED = "ABORTED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"


class NullNotifier:
    """A notifier that tells no one (local mode)."""

    def batch_completed(self, batch: Batch, summary_key: str | None) -> None:
        """Do nothing."""


# The runtime stopping the scan function at one of its own limits (the deadline in ``receiptflow.deadline``
# normally stops an item first, but one PDFium call under way cannot be cut): the item hit a limit.
LAMBDA_LIMIT_ERRORS: dict[str, type[ReceiptflowError]] = {
    "Sandbox.Timedout": errors.ItemTimeoutError,
    "Runtime.OutOfMemory": errors.ResourceLimitError,
}


def scan_error_from_step(step: StepError) -> ScanError:
    """The typed error behind a caught step error: our exception class name gives the stable ``code`` and
    ``retryable``; the Lambda error JSON in ``Cause`` gives the message. Anything else (Lambda service
    errors, timeouts) is ``internal_error``."""
    message = step.cause
    try:
        cause = json.loads(step.cause)
        if isinstance(cause, dict):
            message = str(cause.get("errorMessage", step.cause))
    except ValueError:
        pass
    error_class = LAMBDA_LIMIT_ERRORS.get(step.error) or getattr(errors, step.error, None)
    if isinstance(error_class, type) and issubclass(error_class, ReceiptflowError):
        return ScanError(
            code=error_class.code, message=message or error_class.code, retryable=error_class.retryable
        )
    return ScanError(code="internal_error", message=f"{step.error}: {message}".rstrip(": "), retryable=True)


def _error(item: BatchItem, error: ReceiptflowError) -> ScanResult:
    return ScanResult(
        source=item.source,
        sha256=item.sha256,
        status=ScanStatus.ERROR,
        error=ScanError(code=error.code, message=error.message, retryable=error.retryable),
    )


class BatchService:
    """The batch lifecycle over ports (see the module docstring).

    ``blobs`` holds the items' files (uploads, drop folders); ``bucket`` names it for providers that read
    it directly (Textract reads S3). ``exports``, when given, receives a finished batch's ``results.csv``
    and ``summary.json``. ``scanners`` builds the scanner for a provider name; only the per-item Lambda
    step (:meth:`scan_item`) uses it — locally the pool's workers scan."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: BatchStore,
        dispatcher: Dispatcher,
        publisher: EventPublisher,
        blobs: BlobStore | None = None,
        bucket: str = "",
        notifier: CompletionNotifier | None = None,
        exports: BlobStore | None = None,
        scanners: ScannerFactory | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.store = store
        self.dispatcher = dispatcher
        self.blobs = blobs
        self.bucket = bucket
        self.notifier: CompletionNotifier = notifier or NullNotifier()
        self.exports = exports
        self._scanners = scanners
        self._clock = clock
        self._events = EventEmitter(store, publisher)

    # --- reading -----------------------------------------------------------------------------------
    def get(self, tenant_id: str, batch_id: str) -> Batch:
        """The tenant's batch (``NotFoundError`` for another tenant's); a batch stuck ``cancelling`` is
        settled on the way."""
        batch = self.store.get_batch(tenant_id, batch_id)
        return self._settle_if_stuck(batch) if batch.status is CANCELLING else batch

    def list_batches(self, tenant_id: str, limit: int = 50) -> list[Batch]:
        """The tenant's batches, newest first (stuck cancels settled, as in :meth:`get`)."""
        batches = self.store.list_batches(tenant_id, limit=limit)
        return [self._settle_if_stuck(b) if b.status is CANCELLING else b for b in batches]

    # --- building a batch --------------------------------------------------------------------------
    def create(self, batch: Batch) -> Batch:
        """Store a new batch (``ConflictError`` when the id exists); returns it as stored."""
        self.store.create_batch(batch)
        return self.store.get_batch(batch.tenant_id, batch.batch_id)

    def add_items(self, batch: Batch, items: list[BatchItem]) -> int:
        """Add items to a batch that has not started (idempotent per item id); returns how many were new."""
        current = self.store.get_batch(batch.tenant_id, batch.batch_id)
        if current.status is not CREATED:
            raise ConflictError(f"files can only be added before the batch starts (it is {current.status})")
        return self.store.add_items(items)

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self, batch: Batch) -> Batch:
        """created → running: files announced but never uploaded become typed errors, then the pending items
        are dispatched. ``ConflictError`` when the batch already started (a second start changes nothing)."""
        batch = self.store.get_batch(batch.tenant_id, batch.batch_id)  # decide on the stored state
        if batch.status is not CREATED:
            raise ConflictError(f"the batch is already {batch.status}")
        if batch.counts.total == 0:
            raise InvalidRequestError("the batch has no files; upload some first")
        started = move(self.store, batch.batch_id, Step.START, RUNNING, started_at=self._clock())
        self._events.emit(progress_event(started, self._clock()))
        self._fail_missing_uploads(started)
        return self._dispatch(started, "run")

    def resume(self, batch: Batch) -> Batch:
        """Run a batch's unfinished items again: items a dead process left running and items a cancel left
        cancelled are scanned, finished ones are kept. A finished batch with nothing cancelled is returned
        as it is. Used by ``scan`` (the same command again) and by ``serve`` at startup."""
        batch = self.store.get_batch(batch.tenant_id, batch.batch_id)
        if batch.status in TERMINAL and batch.status is not BatchStatus.CANCELLED:
            return batch
        started_at = batch.started_at or self._clock()
        move(self.store, batch.batch_id, Step.RESUME, RUNNING, started_at=started_at, finished_at=None)
        self.store.release_running(batch.batch_id)
        self.store.reset_cancelled(batch.batch_id)
        resumed = self.store.get_batch(batch.tenant_id, batch.batch_id)
        self._events.emit(progress_event(resumed, self._clock()))
        return self._dispatch(resumed, f"resume-{self._clock().strftime('%Y%m%dT%H%M%S%f')}")

    def cancel(self, batch: Batch) -> Batch:
        """Cancel (see the module docstring). ``ConflictError`` when the batch already finished; cancelling
        a batch that is already ``cancelling`` changes nothing."""
        return self._cancel(batch, stop=True)

    def run_ended(
        self, tenant_id: str, batch_id: str, execution_id: str, end: RunEnd, cause: str = ""
    ) -> Batch:
        """A run's execution ended without Finalize closing the batch: stopped outside the API (``ABORTED``:
        the same as a cancel, minus stopping what already stopped), or ``FAILED`` / ``TIMED_OUT`` (a typed
        end: the items left become retryable ``not_processed`` errors saying why, the batch reaches its
        final status with its one ``complete`` event and completion notice). Only the batch's current run
        counts: an older run's end, a child execution's or a repeat changes nothing. Returns the batch."""
        batch = self.store.get_batch(tenant_id, batch_id)
        if batch.execution_arn != execution_id or batch.status in TERMINAL:
            return batch
        if end is RunEnd.ABORTED:
            return self._cancel(batch, stop=False)
        what = "timed out" if end is RunEnd.TIMED_OUT else "failed"
        lost = ScanError(
            code="not_processed",
            message=f"the batch's execution {what} before this item was scanned ({cause})".replace(" ()", ""),
            retryable=True,
        )
        return self._finish(tenant_id, batch_id, lost=lost)[0]

    def retry_failed(self, batch: Batch) -> Batch:
        """Scan the failed and cancelled items of a finished batch again, in a new run. ``ConflictError``
        while the batch runs (also when another retry started it first); ``InvalidRequestError`` when
        nothing failed or was cancelled."""
        batch = self.store.get_batch(batch.tenant_id, batch.batch_id)
        if batch.status not in TERMINAL:
            raise ConflictError(f"the batch is {batch.status}; retry once it has finished")
        if batch.counts.failed + batch.counts.cancelled == 0:
            raise InvalidRequestError("the batch has no failed or cancelled items")
        stamp = int((batch.finished_at or self._clock()).timestamp())
        try:  # from exactly the status just read: a concurrent retry that started (or ran) first wins
            move(
                self.store, batch.batch_id, Step.RETRY_FAILED, RUNNING, current=batch.status, finished_at=None
            )
        except ConflictError as e:
            raise ConflictError("the batch is running again already (a retry is in progress)") from e
        self.store.reset_failed(batch.batch_id)
        self.store.reset_cancelled(batch.batch_id)
        retried = self.store.get_batch(batch.tenant_id, batch.batch_id)
        self._events.emit(progress_event(retried, self._clock()))
        return self._dispatch(retried, f"retry-{stamp}")

    # --- items (called by the dispatchers' workers) -----------------------------------------------
    def claim_item(self, tenant_id: str, batch_id: str, item_id: str) -> BatchItem | None:
        """pending → running when the batch runs; None when the item must not start (it was taken or
        cancelled, or the batch is not running)."""
        if self.store.get_batch(tenant_id, batch_id).status is not RUNNING:
            return None
        if not self.store.claim_item(batch_id, item_id):
            return None
        return self.store.get_item(batch_id, item_id)

    def record_result(self, tenant_id: str, batch_id: str, item_id: str, result: ScanResult) -> bool:
        """Store an item's final result and publish its events; the last item in flight of a cancelled
        batch settles it. False (nothing published) when the item was already final."""
        if not self.store.finish_item(batch_id, item_id, result):
            return False
        event = item_event(batch_id, item_id, result)
        if event is not None:
            self._events.emit(event)
        batch = self.store.get_batch(tenant_id, batch_id)
        self._events.emit(progress_event(batch, self._clock()))
        if batch.status is CANCELLING and batch.counts.done >= batch.counts.total:
            self._settle(batch)
        return True

    def scan_item(self, ref: ItemRef) -> ItemOutcome:
        """The per-item step of the state machine: claim, read the file, scan, record. Typed errors
        (``ProviderThrottledError``, ``CorruptImageError``, ...) propagate unchanged so the state machine's
        Retry/Catch match them by class name; Record Failure stores the error once retries are over.
        Safe to run again: a final item is left alone, and a retry of a claimed item goes on."""
        batch = self.store.get_batch(ref.tenant_id, ref.batch_id)
        item = self.store.get_item(ref.batch_id, ref.item_id)
        if item.status is ItemStatus.PENDING and batch.status is RUNNING:
            if not self.store.claim_item(ref.batch_id, ref.item_id):
                item = self.store.get_item(ref.batch_id, ref.item_id)
            else:
                item = item.model_copy(update={"status": ItemStatus.RUNNING})
        # only an item in flight goes on (after a cancel too: in-flight items finish)
        if item.status is not ItemStatus.RUNNING or batch.status not in (RUNNING, CANCELLING):
            return ItemOutcome(item_id=item.item_id, recorded=False, status=item.status.value)
        result = self._scanner(batch.options.provider).process(
            self._read(item),
            item.source,
            blob_ref=BlobRef(bucket=self.bucket, key=item.blob_key or ""),
            use_cache=batch.options.use_cache,
        )
        if not self.record_result(ref.tenant_id, ref.batch_id, ref.item_id, result):
            current = self.store.get_item(ref.batch_id, ref.item_id)
            return ItemOutcome(item_id=item.item_id, recorded=False, status=current.status.value)
        return ItemOutcome(item_id=item.item_id, recorded=True, status=result.status.value)

    def record_failure(self, failed: FailedItem) -> ItemOutcome:
        """The Catch target: store the caught error as the item's result, so one bad image never fails the
        batch. Safe to run again."""
        item = self.store.get_item(failed.batch_id, failed.item_id)
        if item.status.terminal:
            return ItemOutcome(item_id=item.item_id, recorded=False, status=item.status.value)
        error = scan_error_from_step(failed.error)
        result = ScanResult(source=item.source, sha256=item.sha256, status=ScanStatus.ERROR, error=error)
        if not self.record_result(failed.tenant_id, failed.batch_id, failed.item_id, result):
            current = self.store.get_item(failed.batch_id, failed.item_id)
            return ItemOutcome(item_id=item.item_id, recorded=False, status=current.status.value)
        return ItemOutcome(item_id=item.item_id, recorded=True, status=result.status.value, code=error.code)

    # --- the end of a run --------------------------------------------------------------------------
    def finish_run(self, tenant_id: str, batch_id: str) -> Batch:
        """A run is over and nothing of it is in flight: a cancelled batch settles, a running one is
        finalized. Returns the batch as it is now."""
        return self._finish(tenant_id, batch_id)[0]

    def finalize(self, ref: BatchRef) -> FinalizeOutcome:
        """The state machine's last step (see :meth:`finish_run`). A batch already final (a retried or
        redriven Finalize, or a cancel that won the race) is reported as it is, with no second
        ``complete`` and no export keys."""
        batch, summary_key, csv_key = self._finish(ref.tenant_id, ref.batch_id)
        return FinalizeOutcome(
            batch_id=batch.batch_id,
            status=batch.status,
            counts=batch.counts,
            summary_key=summary_key,
            csv_key=csv_key,
        )

    # --- internals ---------------------------------------------------------------------------------
    def _cancel(self, batch: Batch, *, stop: bool) -> Batch:
        """→ cancelling (a cancel racing another lands on the same ``cancelling``), stop the dispatcher
        when ``stop``, cancel the pending items, and settle at once when nothing is in flight."""
        batch = self.store.get_batch(batch.tenant_id, batch.batch_id)
        if batch.status is CANCELLING:
            return self.get(batch.tenant_id, batch.batch_id)
        if batch.status in TERMINAL:
            raise ConflictError(f"the batch already finished ({batch.status})")
        try:
            cancelling = move(self.store, batch.batch_id, Step.CANCEL, CANCELLING)
        except ConflictError:  # it moved meanwhile: another cancel won (fine), or it finished (not)
            return self._cancel(self.store.get_batch(batch.tenant_id, batch.batch_id), stop=stop)
        if stop:
            self.dispatcher.stop(batch.batch_id, cancelling.execution_arn)
        self.store.cancel_pending(batch.batch_id)
        current = self.store.get_batch(batch.tenant_id, batch.batch_id)
        self._events.emit(progress_event(current, self._clock()))
        if current.counts.done >= current.counts.total:
            return self._settle(current)
        return current

    def _dispatch(self, batch: Batch, run_name: str) -> Batch:
        """Hand the batch's pending items to the dispatcher as one run and remember its execution id. If the
        dispatcher fails, the batch is closed (its items become retryable ``not_processed`` errors, so
        retry-failed can run them; no export or completion notice, since nothing ran) and the error is
        raised."""
        item_ids = tuple(item.item_id for item in iter_items(self.store, batch.batch_id, ItemStatus.PENDING))
        run = Run(
            batch_id=batch.batch_id,
            tenant_id=batch.tenant_id,
            name=run_name,
            item_ids=item_ids,
            provider=batch.options.provider,
            use_cache=batch.options.use_cache,
        )
        try:
            execution = self.dispatcher.start(run)
        except Exception:
            logger.exception("dispatching a run failed", extra={"batch_id": batch.batch_id})
            self._finish(batch.tenant_id, batch.batch_id, announce=False)
            raise
        if execution:
            try:
                self.store.set_batch_status(
                    batch.batch_id, RUNNING, expected=(RUNNING,), execution_arn=execution
                )
            except ConflictError:  # cancelled while starting: stop what was just started
                self.dispatcher.stop(batch.batch_id, execution)
        return self.store.get_batch(batch.tenant_id, batch.batch_id)

    def _fail_missing_uploads(self, batch: Batch) -> None:
        """Announced files that were never uploaded become typed ``file_unreadable`` errors now, instead of
        silently vanishing. One listing per key folder (not one request per item), so a 10,000-file batch
        costs a few list calls; paths on this machine are checked when they are read."""
        blobs = self.blobs
        if blobs is None:
            return
        missing = FileReadError("the file was announced but never uploaded")
        listed: dict[str, set[str]] = {}
        for item in iter_items(self.store, batch.batch_id, ItemStatus.PENDING):
            key = item.blob_key
            if not key or PurePath(key).is_absolute():
                continue
            folder = key.rsplit("/", 1)[0] + "/" if "/" in key else None
            if folder is None:
                uploaded = blobs.exists(key)
            else:
                if folder not in listed:
                    listed[folder] = set(blobs.list_keys(folder))
                uploaded = key in listed[folder]
            if not uploaded:
                self.record_result(batch.tenant_id, batch.batch_id, item.item_id, _error(item, missing))

    def _read(self, item: BatchItem) -> bytes:
        if not item.blob_key or self.blobs is None:
            raise FileReadError(f"item {item.item_id} has no uploaded file")
        try:
            return self.blobs.get(item.blob_key)
        except NotFoundError as e:
            raise FileReadError(f"the file of item {item.item_id} is missing from storage") from e

    def _scanner(self, provider: str | None) -> Scanner:
        if self._scanners is None:
            raise RuntimeError("this batch service was built without scanners")
        return self._scanners(provider)

    def _settle(self, batch: Batch) -> Batch:
        """cancelling → cancelled with its one ``complete`` event and completion notice (the caller that
        loses the race does nothing)."""
        try:
            settled = move(
                self.store, batch.batch_id, Step.SETTLE, BatchStatus.CANCELLED, finished_at=self._clock()
            )
        except ConflictError:
            return self.store.get_batch(batch.tenant_id, batch.batch_id)
        self._events.emit(complete_event(settled))
        self.notifier.batch_completed(settled, None)
        return settled

    def _settle_if_stuck(self, batch: Batch) -> Batch:
        """Settle a ``cancelling`` batch whose in-flight work is gone: its newest running item was claimed
        longer ago than ``settings.cancel_grace_seconds`` (the worker died), or nothing runs and no item
        changed for that long (whoever recorded the last item died before settling). A recent change means
        a recorder is still at work; it settles the batch itself."""
        items = list(iter_items(self.store, batch.batch_id, ItemStatus.RUNNING))
        if not items:
            items = list(iter_items(self.store, batch.batch_id))
        grace = dt.timedelta(seconds=self.settings.cancel_grace_seconds)
        if items and max(item.updated_at for item in items) > self._clock() - grace:
            return batch
        self.store.cancel_unfinished(batch.batch_id)
        return self._settle(self.store.get_batch(batch.tenant_id, batch.batch_id))

    def _finish(
        self, tenant_id: str, batch_id: str, *, announce: bool = True, lost: ScanError | None = None
    ) -> tuple[Batch, str | None, str | None]:
        """Settle or finalize; ``announce`` False skips the exports and the completion notice; ``lost`` is
        the error items still unfinished get (default: the run ended before them)."""
        batch = self.store.get_batch(tenant_id, batch_id)
        if batch.status is CANCELLING:
            self.store.cancel_unfinished(batch_id)  # the run is over: nothing is in flight any more
            return self._settle(self.store.get_batch(tenant_id, batch_id)), None, None
        if batch.status is not RUNNING:
            return batch, None, None
        self._close_leftovers(batch, lost or _NOT_PROCESSED)
        batch = self.store.get_batch(tenant_id, batch_id)
        status, finished_at = final_status(batch), self._clock()
        closing = batch.model_copy(update={"status": status, "finished_at": finished_at})
        summary_key, csv_key = self._write_exports(closing) if announce else (None, None)
        try:
            batch = move(self.store, batch_id, Step.FINALIZE, status, finished_at=finished_at)
        except ConflictError:  # cancelled meanwhile: the cancel settles it and tells subscribers
            return self.store.get_batch(tenant_id, batch_id), None, None
        self._events.emit(complete_event(batch))
        if announce:
            self.notifier.batch_completed(batch, summary_key)
        return batch, summary_key, csv_key

    def _close_leftovers(self, batch: Batch, lost: ScanError) -> None:
        """Items still pending or running when a run ended (a worker or a child execution died without a
        word) become ``lost``, a retryable typed error, so no item is silently dropped."""
        for status in (ItemStatus.PENDING, ItemStatus.RUNNING):
            for item in list(iter_items(self.store, batch.batch_id, status)):
                result = ScanResult(
                    source=item.source, sha256=item.sha256, status=ScanStatus.ERROR, error=lost
                )
                self.record_result(batch.tenant_id, batch.batch_id, item.item_id, result)

    def _write_exports(self, closing: Batch) -> tuple[str | None, str | None]:
        """``results.csv`` and ``summary.json`` of a closing batch, before its status changes (a Finalize
        retried after a failed write finds the batch still running and writes them again)."""
        if self.exports is None:
            return None, None
        items = list(iter_items(self.store, closing.batch_id))
        prefix = blob_keys.results_prefix(closing.tenant_id, closing.batch_id)
        csv_key, summary_key = prefix + blob_keys.RESULTS_CSV, prefix + blob_keys.SUMMARY_JSON
        self.exports.put(csv_key, items_to_csv(items).encode("utf-8"), "text/csv; charset=utf-8")
        problems = [
            {
                "item_id": i.item_id,
                "source": i.source,
                "code": i.result.error.code,
                "message": i.result.error.message,
            }
            for i in items
            if i.result is not None and i.result.error is not None
        ]
        summary = {"batch": json.loads(closing.model_dump_json()), "errors": problems, "csv_key": csv_key}
        self.exports.put(
            summary_key, json.dumps(summary, ensure_ascii=False).encode("utf-8"), "application/json"
        )
        return summary_key, csv_key
