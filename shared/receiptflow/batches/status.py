"""THE batch status model: which moves are allowed, which step makes each move, and the final status.

    created ──start──▶ running ──finalize──▶ succeeded | partially_failed | failed
       │                 │ ▲                              │
       │              cancel│ resume                  retry-failed
       │                 ▼ │                              │
       └───cancel──▶ cancelling ──settle──▶ cancelled ──retry-failed / resume──▶ running

``cancelling`` is not terminal: no item starts any more, items in flight finish and keep their results,
and the batch becomes ``cancelled`` (with exactly one ``complete`` event) once none is in flight.
Every status change goes through :func:`move`, a compare-and-set on the store, so two callers racing
for the same move (a double click, a redelivered event, a cancel against the last item) cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchCounts, BatchStatus
from receiptflow.ports import BatchStore

CREATED, RUNNING, CANCELLING = BatchStatus.CREATED, BatchStatus.RUNNING, BatchStatus.CANCELLING
SUCCEEDED, PARTIALLY_FAILED = BatchStatus.SUCCEEDED, BatchStatus.PARTIALLY_FAILED
FAILED, CANCELLED = BatchStatus.FAILED, BatchStatus.CANCELLED
TERMINAL: frozenset[BatchStatus] = frozenset({SUCCEEDED, PARTIALLY_FAILED, FAILED, CANCELLED})

# Every allowed status change (running → running is a resume of a run whose process died).
TRANSITIONS: Mapping[BatchStatus, frozenset[BatchStatus]] = {
    CREATED: frozenset({RUNNING, CANCELLING}),
    RUNNING: frozenset({RUNNING, CANCELLING, SUCCEEDED, PARTIALLY_FAILED, FAILED}),
    CANCELLING: frozenset({CANCELLED, RUNNING}),
    SUCCEEDED: frozenset({RUNNING}),
    PARTIALLY_FAILED: frozenset({RUNNING}),
    FAILED: frozenset({RUNNING}),
    CANCELLED: frozenset({RUNNING}),
}


class Step(StrEnum):
    """The lifecycle steps that change a batch's status."""

    START = "start"
    CANCEL = "cancel"
    SETTLE = "settle"
    FINALIZE = "finalize"
    RETRY_FAILED = "retry_failed"
    RESUME = "resume"


# The statuses each step starts from (each pair is in TRANSITIONS; a unit test checks it).
STEP_FROM: Mapping[Step, tuple[BatchStatus, ...]] = {
    Step.START: (CREATED,),
    Step.CANCEL: (CREATED, RUNNING),
    Step.SETTLE: (CANCELLING,),
    Step.FINALIZE: (RUNNING,),
    Step.RETRY_FAILED: (SUCCEEDED, PARTIALLY_FAILED, FAILED, CANCELLED),
    Step.RESUME: (CREATED, RUNNING, CANCELLING, CANCELLED),
}


def outcome(counts: BatchCounts) -> BatchStatus:
    """The status a run that was not cancelled ends in: succeeded when every item succeeded, failed
    when none did, partially_failed otherwise."""
    if counts.failed == 0 and counts.cancelled == 0:
        return SUCCEEDED
    if counts.succeeded == 0:
        return FAILED
    return PARTIALLY_FAILED


def final_status(batch: Batch) -> BatchStatus:
    """The status ``batch`` ends in when nothing is in flight any more: ``cancelled`` after a cancel,
    else the outcome of its counts."""
    return CANCELLED if batch.status in (CANCELLING, CANCELLED) else outcome(batch.counts)


def move(
    store: BatchStore,
    batch_id: str,
    step: Step,
    target: BatchStatus,
    *,
    current: BatchStatus | None = None,
    **fields: Any,
) -> Batch:
    """Compare-and-set the batch from one of ``step``'s source statuses (or exactly ``current``, one of
    them) to ``target``, plus ``fields``; ``ConflictError`` when the batch is in another status (someone
    else moved it first)."""
    sources = STEP_FROM[step] if current is None else (current,)
    if any(source not in STEP_FROM[step] or target not in TRANSITIONS[source] for source in sources):
        raise ConflictError(f"a batch that is {'/'.join(sources)} cannot {step.value} to {target.value}")
    return store.set_batch_status(batch_id, target, expected=sources, **fields)
