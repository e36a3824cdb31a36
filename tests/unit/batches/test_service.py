"""The batch service's rules, step by step, on the real embedded store, blob store and event hub. The test
plays the dispatcher's part through the ``ItemRecorder`` methods, exactly as the local pool and the Lambda
steps do (the real dispatchers run in tests/e2e/behaviour)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.adapters.embedded.blob_store import FileBlobStore
from receiptflow.adapters.embedded.event_hub import EventHub
from receiptflow.batches.service import BatchService
from receiptflow.errors import ConflictError, InvalidRequestError, StoreUnavailableError
from receiptflow.models import (
    Batch,
    BatchItem,
    BatchStatus,
    Event,
    ItemStatus,
    ScanError,
    ScanResult,
    ScanStatus,
    utcnow,
)
from receiptflow.settings import Settings

from tests.support.dispatchers import ManualDispatcher

TENANT = "t1"


@dataclass
class World:
    service: BatchService
    dispatcher: ManualDispatcher
    blobs: FileBlobStore
    events: list[Event]
    clock: list[dt.datetime]

    def batch(self, batch_id: str = "b1", files: int = 3) -> Batch:
        """A created batch with ``files`` uploaded items."""
        batch = self.service.create(Batch(batch_id=batch_id, tenant_id=TENANT))
        items = []
        for n in range(1, files + 1):
            key = f"uploads/{TENANT}/{batch_id}/{n:05d}"
            self.blobs.put(key, b"image bytes")
            items.append(BatchItem(batch_id=batch_id, item_id=f"{n:05d}", source=f"{n}.jpg", blob_key=key))
        self.service.add_items(batch, items)
        return self.service.get(TENANT, batch_id)

    def types(self) -> list[str]:
        return [e.type for e in self.events]


def ok(source: str) -> ScanResult:
    return ScanResult(source=source, status=ScanStatus.OK)


def failed(source: str) -> ScanResult:
    return ScanResult(
        source=source, status=ScanStatus.ERROR, error=ScanError(code="corrupt_image", message="x")
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = SqliteBatchStore(tmp_path / "db.sqlite")
    blobs = FileBlobStore(tmp_path / "blobs")
    hub, dispatcher = EventHub(), ManualDispatcher()
    clock = [utcnow()]
    service = BatchService(
        settings=Settings(data_dir=tmp_path, cancel_grace_seconds=60),
        store=store,
        dispatcher=dispatcher,
        publisher=hub,
        blobs=blobs,
        clock=lambda: clock[0],
    )
    events: list[Event] = []
    for batch_id in ("b1", "b2"):
        hub.subscribe(batch_id, events.append)
    yield World(service, dispatcher, blobs, events, clock)


def work(world: World, item_id: str, result: ScanResult, batch_id: str = "b1") -> None:
    """What a worker does: claim the item, then record its result."""
    assert world.service.claim_item(TENANT, batch_id, item_id) is not None
    assert world.service.record_result(TENANT, batch_id, item_id, result)


def test_start_dispatches_the_pending_items_once(world: World) -> None:
    batch = world.batch()
    started = world.service.start(batch)
    assert started.status is BatchStatus.RUNNING and started.started_at is not None
    assert started.execution_arn == "exec-b1-run"
    (run,) = world.dispatcher.runs
    assert (run.name, run.item_ids) == ("run", ("00001", "00002", "00003"))
    with pytest.raises(ConflictError):  # a duplicate start (even from a stale copy) changes nothing
        world.service.start(batch)
    assert len(world.dispatcher.runs) == 1 and world.types() == ["progress"]


def test_an_empty_batch_cannot_start(world: World) -> None:
    with pytest.raises(InvalidRequestError):
        world.service.start(world.batch(files=0))


def test_a_run_ends_with_its_outcome_and_exactly_one_complete(world: World) -> None:
    world.service.start(world.batch())
    work(world, "00001", ok("1.jpg"))
    work(world, "00002", failed("2.jpg"))
    work(world, "00003", ok("3.jpg"))
    assert not world.service.record_result(TENANT, "b1", "00003", ok("3.jpg"))  # a redelivery counts once
    done = world.service.finish_run(TENANT, "b1")
    again = world.service.finish_run(TENANT, "b1")
    assert done.status is again.status is BatchStatus.PARTIALLY_FAILED
    assert (done.counts.succeeded, done.counts.failed) == (2, 1)
    assert world.types() == [
        "progress",
        "result",
        "progress",
        "error",
        "progress",
        "result",
        "progress",
        "complete",
    ]
    assert [e.seq for e in world.events] == list(range(1, 9))


def test_cancel_starts_nothing_more_keeps_what_is_in_flight_and_the_last_one_settles(world: World) -> None:
    # GIVEN a running batch with one item in flight
    world.service.start(world.batch())
    assert world.service.claim_item(TENANT, "b1", "00001") is not None

    # WHEN it is cancelled
    cancelling = world.service.cancel(world.service.get(TENANT, "b1"))

    # THEN it is cancelling, the dispatcher was told, pending items are cancelled and none may start
    assert cancelling.status is BatchStatus.CANCELLING
    assert world.dispatcher.stops == [("b1", "exec-b1-run")]
    assert (cancelling.counts.cancelled, cancelling.counts.done) == (2, 2)
    assert world.service.claim_item(TENANT, "b1", "00002") is None
    assert world.service.cancel(cancelling).status is BatchStatus.CANCELLING  # a repeat changes nothing

    # AND the item in flight finishes, keeps its result, and settles the batch with one complete
    assert world.service.record_result(TENANT, "b1", "00001", ok("1.jpg"))
    batch = world.service.get(TENANT, "b1")
    assert batch.status is BatchStatus.CANCELLED and (batch.counts.succeeded, batch.counts.cancelled) == (
        1,
        2,
    )
    assert world.service.finish_run(TENANT, "b1").status is BatchStatus.CANCELLED
    assert world.types() == ["progress", "progress", "result", "progress", "complete"]
    with pytest.raises(ConflictError):
        world.service.cancel(batch)


def test_a_cancel_with_nothing_in_flight_settles_at_once(world: World) -> None:
    cancelled = world.service.cancel(world.batch())
    assert cancelled.status is BatchStatus.CANCELLED and cancelled.counts.cancelled == 3
    assert world.types() == ["progress", "complete"] and world.dispatcher.runs == []


def test_a_cancel_whose_work_died_is_settled_when_next_read(world: World) -> None:
    # GIVEN a cancel while an item is in flight, and that worker never reports back
    world.service.start(world.batch())
    world.service.claim_item(TENANT, "b1", "00001")
    world.service.cancel(world.service.get(TENANT, "b1"))

    # WHEN it is read within the grace period, then after it
    assert world.service.get(TENANT, "b1").status is BatchStatus.CANCELLING
    world.clock[0] += dt.timedelta(seconds=61)
    (listed,) = world.service.list_batches(TENANT)

    # THEN the second read settles it: the lost item is cancelled, one complete is published
    assert listed.status is BatchStatus.CANCELLED and listed.counts.cancelled == 3
    assert world.service.record_result(TENANT, "b1", "00001", ok("late.jpg")) is False  # too late
    assert world.types().count("complete") == 1


def test_a_read_never_settles_under_a_recorder_that_is_still_at_work(world: World) -> None:
    # GIVEN a cancel while the last item is in flight, and that item just recorded (its events not yet out)
    world.service.start(world.batch())
    world.service.claim_item(TENANT, "b1", "00001")
    world.service.cancel(world.service.get(TENANT, "b1"))
    assert world.service.store.finish_item("b1", "00001", ok("1.jpg"))

    # WHEN the batch is read meanwhile: nothing runs, but the last change is recent
    assert world.service.get(TENANT, "b1").status is BatchStatus.CANCELLING

    # THEN only when no one settled it within the grace period does a read settle it
    world.clock[0] += dt.timedelta(seconds=61)
    assert world.service.get(TENANT, "b1").status is BatchStatus.CANCELLED


def test_retry_failed_rescans_failed_and_cancelled_items_in_a_new_run(world: World) -> None:
    # GIVEN a batch cancelled with one item failed and two cancelled
    world.service.start(world.batch())
    world.service.claim_item(TENANT, "b1", "00001")
    world.service.cancel(world.service.get(TENANT, "b1"))
    world.service.record_result(TENANT, "b1", "00001", failed("1.jpg"))
    stale = world.service.get(TENANT, "b1")
    assert stale.status is BatchStatus.CANCELLED

    # WHEN the failed items are retried, twice (a double click)
    retried = world.service.retry_failed(stale)
    with pytest.raises(ConflictError):
        world.service.retry_failed(stale)

    # THEN one new run scans all three, and the batch can finish cleanly
    assert retried.status is BatchStatus.RUNNING and retried.counts.done == 0
    assert [run.item_ids for run in world.dispatcher.runs] == [
        ("00001", "00002", "00003"),
        ("00001", "00002", "00003"),
    ]
    assert world.dispatcher.runs[1].name.startswith("retry-")
    for item_id in ("00001", "00002", "00003"):
        work(world, item_id, ok(f"{item_id}.jpg"))
    assert world.service.finish_run(TENANT, "b1").status is BatchStatus.SUCCEEDED
    assert world.types().count("complete") == 2  # one per finished run


def test_retry_failed_refuses_a_running_or_clean_batch(world: World) -> None:
    world.service.start(world.batch())
    with pytest.raises(ConflictError):
        world.service.retry_failed(world.service.get(TENANT, "b1"))
    for item_id in ("00001", "00002", "00003"):
        work(world, item_id, ok("x.jpg"))
    clean = world.service.finish_run(TENANT, "b1")
    with pytest.raises(InvalidRequestError):
        world.service.retry_failed(clean)


def test_a_dispatcher_that_cannot_start_leaves_retryable_errors_not_a_stuck_batch(world: World) -> None:
    world.dispatcher.fail_next = True
    with pytest.raises(StoreUnavailableError):
        world.service.start(world.batch())
    batch = world.service.get(TENANT, "b1")
    assert batch.status is BatchStatus.FAILED and batch.counts.failed == 3
    codes = {i.result.error.code for i in world.service.store.list_items("b1") if i.result and i.result.error}
    assert codes == {"not_processed"}
    assert world.service.retry_failed(batch).status is BatchStatus.RUNNING


def test_files_announced_but_never_uploaded_become_typed_errors_at_start(world: World) -> None:
    batch = world.batch()
    world.blobs.delete(f"uploads/{TENANT}/b1/00002")
    world.service.start(batch)
    item = world.service.store.get_item("b1", "00002")
    assert item.status is ItemStatus.FAILED and item.result is not None and item.result.error is not None
    assert item.result.error.code == "file_unreadable"
    assert world.dispatcher.runs[0].item_ids == ("00001", "00003")


def test_resume_scans_what_a_dead_run_left_and_leaves_a_finished_batch_alone(world: World) -> None:
    # GIVEN a run that died with one item done and one running
    world.service.start(world.batch())
    work(world, "00001", ok("1.jpg"))
    world.service.claim_item(TENANT, "b1", "00002")

    # WHEN it is resumed
    resumed = world.service.resume(world.service.get(TENANT, "b1"))

    # THEN a new run takes the unfinished items; the finished one is kept
    assert resumed.status is BatchStatus.RUNNING
    assert world.dispatcher.runs[-1].item_ids == ("00002", "00003")
    for item_id in ("00002", "00003"):
        work(world, item_id, ok("x.jpg"))
    finished = world.service.finish_run(TENANT, "b1")
    events_before = len(world.events)
    assert world.service.resume(finished) == world.service.get(TENANT, "b1")
    assert len(world.events) == events_before and len(world.dispatcher.runs) == 2
