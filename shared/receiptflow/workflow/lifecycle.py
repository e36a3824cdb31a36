"""Batch-level steps: Prepare Batch (first state) and Finalize Batch (last state)."""

from __future__ import annotations

import json

from receiptflow.errors import ConflictError
from receiptflow.export import items_to_csv
from receiptflow.models import (
    Batch,
    BatchCounts,
    BatchItem,
    BatchStatus,
    ItemStatus,
    ScanError,
    ScanResult,
    ScanStatus,
    utcnow,
)
from receiptflow.paging import iter_items
from receiptflow.ports import BatchStore
from receiptflow.workflow.deps import Workflow
from receiptflow.workflow.events import complete_event, emit, progress_event
from receiptflow.workflow.naming import results_prefix
from receiptflow.workflow.payloads import BatchRef, FinalizeOutcome

RUNNABLE = (BatchStatus.CREATED, BatchStatus.RUNNING)


def prepare_batch(workflow: Workflow, ref: BatchRef) -> Batch:
    """Check the batch exists for this tenant and can run (``NotFoundError`` / ``ConflictError``
    otherwise: the state machine then ends in Reject Batch), mark it running, publish a first
    ``progress`` event."""
    store = workflow.store
    batch = store.get_batch(ref.tenant_id, ref.batch_id)
    if batch.status not in RUNNABLE:
        raise ConflictError(f"batch {batch.batch_id} is {batch.status.value}; nothing to run")
    if batch.status is BatchStatus.CREATED:
        batch = store.set_batch_status(
            batch.batch_id, BatchStatus.RUNNING, expected=RUNNABLE, started_at=utcnow()
        )
    emit(store, workflow.publisher, progress_event(batch))
    return batch


def final_status(counts: BatchCounts) -> BatchStatus:
    """succeeded when nothing failed; failed when nothing succeeded; partially_failed otherwise."""
    if counts.failed == 0:
        return BatchStatus.SUCCEEDED
    if counts.succeeded == 0:
        return BatchStatus.FAILED
    return BatchStatus.PARTIALLY_FAILED


def _close_leftovers(store: BatchStore, batch_id: str) -> int:
    """Items still pending/running after the Map (a child execution died) become typed errors, so no
    item is silently dropped; returns how many."""
    closed = 0
    for status in (ItemStatus.PENDING, ItemStatus.RUNNING):
        for item in list(iter_items(store, batch_id, status)):
            error = ScanError(
                code="not_processed",
                message="the workflow ended before this item was scanned",
                retryable=True,
            )
            result = ScanResult(source=item.source, sha256=item.sha256, status=ScanStatus.ERROR, error=error)
            closed += store.finish_item(batch_id, item.item_id, result)
    return closed


def _summary(batch: Batch, items: list[BatchItem], csv_key: str) -> dict[str, object]:
    errors = [
        {
            "item_id": item.item_id,
            "source": item.source,
            "code": item.result.error.code,
            "message": item.result.error.message,
        }
        for item in items
        if item.result is not None and item.result.error is not None
    ]
    return {
        "batch": json.loads(batch.model_dump_json()),
        "errors": errors,
        "csv_key": csv_key,
    }


def finalize_batch(workflow: Workflow, ref: BatchRef) -> FinalizeOutcome:
    """Close the batch: final status from the counts, summary JSON and CSV export to S3, the
    ``complete`` event and the completion notice. A batch already final (a retried or redriven
    Finalize, or a cancel that won the race) is reported as it is, without a second ``complete``."""
    store = workflow.store
    batch = store.get_batch(ref.tenant_id, ref.batch_id)
    if batch.status.terminal:
        return FinalizeOutcome(batch_id=batch.batch_id, status=batch.status, counts=batch.counts)
    _close_leftovers(store, batch.batch_id)
    items = list(iter_items(store, batch.batch_id))
    batch = store.get_batch(ref.tenant_id, ref.batch_id)
    status = final_status(batch.counts)
    cost = round(sum(item.result.cost_usd for item in items if item.result is not None), 6)
    closing = batch.model_copy(update={"status": status, "finished_at": utcnow(), "cost_usd": cost})

    # exports first, then the status change: a Finalize retried after a failed write finds the batch
    # still running and writes them again
    prefix = results_prefix(batch.tenant_id, batch.batch_id)
    csv_key, summary_key = f"{prefix}results.csv", f"{prefix}summary.json"
    workflow.blobs.put(csv_key, items_to_csv(items).encode("utf-8"), "text/csv; charset=utf-8")
    summary = json.dumps(_summary(closing, items, csv_key), ensure_ascii=False).encode("utf-8")
    workflow.blobs.put(summary_key, summary, "application/json")
    try:
        batch = store.set_batch_status(
            batch.batch_id, status, expected=RUNNABLE, finished_at=closing.finished_at, cost_usd=cost
        )
    except ConflictError:  # cancelled meanwhile: the cancel already told subscribers
        batch = store.get_batch(ref.tenant_id, ref.batch_id)
        return FinalizeOutcome(batch_id=batch.batch_id, status=batch.status, counts=batch.counts)
    emit(store, workflow.publisher, complete_event(batch))
    workflow.notifier.batch_completed(batch, summary_key)
    return FinalizeOutcome(
        batch_id=batch.batch_id,
        status=batch.status,
        counts=batch.counts,
        summary_key=summary_key,
        csv_key=csv_key,
    )
