"""The per-item steps of the state machine: Scan Image and Record Failure."""

from __future__ import annotations

import json
from dataclasses import dataclass

from receiptflow import errors
from receiptflow.document import BlobRef
from receiptflow.errors import FileReadError, NotFoundError, ReceiptflowError
from receiptflow.models import BatchItem, ScanError, ScanResult, ScanStatus
from receiptflow.workflow.deps import Workflow
from receiptflow.workflow.events import emit, error_event, progress_event, result_event
from receiptflow.workflow.payloads import FailedItem, ItemRef, StepError


@dataclass(frozen=True)
class ItemOutcome:
    """What a step did with one item: ``recorded`` False when the item was already final
    (a redelivered or retried invocation) or its batch is no longer running."""

    item_id: str
    recorded: bool
    status: str
    code: str | None = None


def _skip(item: BatchItem) -> ItemOutcome:
    return ItemOutcome(item_id=item.item_id, recorded=False, status=item.status.value)


def _publish(workflow: Workflow, item: BatchItem, result: ScanResult, tenant_id: str) -> None:
    event = result_event(item, result) if result.ok else error_event(item, result)
    emit(workflow.store, workflow.publisher, event)
    batch = workflow.store.get_batch(tenant_id, item.batch_id)
    emit(workflow.store, workflow.publisher, progress_event(batch))


def scan_item(workflow: Workflow, ref: ItemRef) -> ItemOutcome:
    """Scan one item and store its result. Typed errors (``ProviderThrottledError``, ``CorruptImageError``,
    ...) propagate unchanged so the state machine's Retry/Catch match them by class name; Record Failure
    stores the error when retries are over. Safe to run again: a final item is left as it is."""
    store = workflow.store
    batch = store.get_batch(ref.tenant_id, ref.batch_id)
    item = store.get_item(ref.batch_id, ref.item_id)
    if item.status.terminal or batch.status.terminal:
        return _skip(item)
    store.claim_item(ref.batch_id, ref.item_id)  # False on a retry of a claimed item: go on
    if not item.blob_key:
        raise FileReadError(f"item {item.item_id} has no uploaded file")
    try:
        data = workflow.blobs.get(item.blob_key)
    except NotFoundError as e:
        raise FileReadError(f"the file of item {item.item_id} is missing from storage") from e
    scanner = workflow.scanner(batch.options.provider)
    result = scanner.process(
        data,
        item.source,
        blob_ref=BlobRef(bucket=workflow.bucket, key=item.blob_key),
        use_cache=batch.options.use_cache,
    )
    if not store.finish_item(ref.batch_id, ref.item_id, result):
        return _skip(store.get_item(ref.batch_id, ref.item_id))
    _publish(workflow, item, result, ref.tenant_id)
    return ItemOutcome(item_id=item.item_id, recorded=True, status=result.status.value)


def scan_error_from_step(step: StepError) -> ScanError:
    """The typed error behind a caught step error: our exception class name gives the stable ``code``
    and ``retryable``; the Lambda error JSON in ``Cause`` gives the message. Anything else (Lambda
    service errors, timeouts) is ``internal_error``."""
    message = step.cause
    try:
        cause = json.loads(step.cause)
        if isinstance(cause, dict):
            message = str(cause.get("errorMessage", step.cause))
    except ValueError:
        pass
    error_class = getattr(errors, step.error, None)
    if isinstance(error_class, type) and issubclass(error_class, ReceiptflowError):
        return ScanError(
            code=error_class.code, message=message or error_class.code, retryable=error_class.retryable
        )
    return ScanError(code="internal_error", message=f"{step.error}: {message}".rstrip(": "), retryable=True)


def record_failure(workflow: Workflow, failed: FailedItem) -> ItemOutcome:
    """Store the caught error as the item's result (so one bad image never fails the batch) and publish
    ``error`` and ``progress`` events. Safe to run again."""
    store = workflow.store
    item = store.get_item(failed.batch_id, failed.item_id)
    if item.status.terminal:
        return _skip(item)
    scan_error = scan_error_from_step(failed.error)
    result = ScanResult(source=item.source, sha256=item.sha256, status=ScanStatus.ERROR, error=scan_error)
    if not store.finish_item(failed.batch_id, failed.item_id, result):
        return _skip(store.get_item(failed.batch_id, failed.item_id))
    _publish(workflow, item, result, failed.tenant_id)
    return ItemOutcome(item_id=item.item_id, recorded=True, status=result.status.value, code=scan_error.code)
