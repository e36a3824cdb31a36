"""The batch status model: the transition table, each step's moves, and the final status."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.batches.status import STEP_FROM, TERMINAL, TRANSITIONS, Step, final_status, move, outcome
from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchCounts, BatchStatus


def test_every_step_moves_only_along_the_transition_table() -> None:
    targets = {
        Step.START: {BatchStatus.RUNNING},
        Step.CANCEL: {BatchStatus.CANCELLING},
        Step.SETTLE: {BatchStatus.CANCELLED},
        Step.FINALIZE: {BatchStatus.SUCCEEDED, BatchStatus.PARTIALLY_FAILED, BatchStatus.FAILED},
        Step.RETRY_FAILED: {BatchStatus.RUNNING},
        Step.RESUME: {BatchStatus.RUNNING},
    }
    assert set(STEP_FROM) == set(Step) == set(targets)
    for step, sources in STEP_FROM.items():
        for source in sources:
            assert targets[step] <= TRANSITIONS[source], (step, source)
    # and every allowed move is made by some step
    made = {(s, t) for step, sources in STEP_FROM.items() for s in sources for t in targets[step]}
    assert {(s, t) for s, ts in TRANSITIONS.items() for t in ts} == made


def test_cancelling_is_not_terminal_and_only_settling_ends_it() -> None:
    assert not BatchStatus.CANCELLING.terminal and BatchStatus.CANCELLING not in TERMINAL
    assert TRANSITIONS[BatchStatus.CANCELLING] == {BatchStatus.CANCELLED, BatchStatus.RUNNING}
    assert {s for s in BatchStatus if s.terminal} == TERMINAL


@pytest.mark.parametrize(
    ("succeeded", "failed", "cancelled", "status"),
    [
        (3, 0, 0, BatchStatus.SUCCEEDED),
        (0, 0, 0, BatchStatus.SUCCEEDED),
        (2, 1, 0, BatchStatus.PARTIALLY_FAILED),
        (0, 3, 0, BatchStatus.FAILED),
        (2, 0, 1, BatchStatus.PARTIALLY_FAILED),
    ],
)
def test_outcome_of_a_run_that_was_not_cancelled(
    succeeded: int, failed: int, cancelled: int, status: BatchStatus
) -> None:
    counts = BatchCounts(
        total=succeeded + failed + cancelled, succeeded=succeeded, failed=failed, cancelled=cancelled
    )
    assert outcome(counts) is status


def test_a_cancelled_batch_ends_cancelled_whatever_finished() -> None:
    counts = BatchCounts(total=3, succeeded=3)
    assert (
        final_status(Batch(batch_id="b", status=BatchStatus.CANCELLING, counts=counts))
        is BatchStatus.CANCELLED
    )
    assert (
        final_status(Batch(batch_id="b", status=BatchStatus.RUNNING, counts=counts)) is BatchStatus.SUCCEEDED
    )


def test_move_is_a_compare_and_set(tmp_path: Path) -> None:
    store = SqliteBatchStore(tmp_path / "db.sqlite")
    store.create_batch(Batch(batch_id="b1"))
    assert move(store, "b1", Step.START, BatchStatus.RUNNING).status is BatchStatus.RUNNING
    with pytest.raises(ConflictError):  # a second start loses
        move(store, "b1", Step.START, BatchStatus.RUNNING)
    with pytest.raises(ConflictError):  # a step cannot make a move outside the table
        move(store, "b1", Step.CANCEL, BatchStatus.CANCELLED)
    with pytest.raises(ConflictError):  # nor start from a status it does not start from
        move(store, "b1", Step.RETRY_FAILED, BatchStatus.RUNNING, current=BatchStatus.RUNNING)
