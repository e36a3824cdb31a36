"""The local mode wired for real: the batch service, the process-pool dispatcher with real worker
processes and real OCR, SQLite and the in-process event hub (``receiptflow.wiring.local.LocalRoot``)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from receiptflow.models import (
    Batch,
    BatchItem,
    BatchStatus,
    CompleteEvent,
    ErrorEvent,
    Event,
    ItemStatus,
    ProgressEvent,
    ResultEvent,
)
from receiptflow.settings import Settings
from receiptflow.wiring.local import LocalRoot

from tests.support.known_receipts import write_receipts
from tests.support.process_tree import command_line


@pytest.fixture
def runner_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"workers": 2})


@pytest.fixture
def root(runner_settings: Settings) -> Iterator[LocalRoot]:
    """The local composition root on a private data dir, two workers; the pool is stopped afterwards."""
    root = LocalRoot(runner_settings)
    yield root
    root.shutdown()


def make_batch(root: LocalRoot, batch_id: str, paths: list[Path], provider: str | None = None) -> Batch:
    batch = root.batches.create(Batch(batch_id=batch_id, options={"provider": provider}))
    items = [
        BatchItem(batch_id=batch_id, item_id=f"{i:03d}", source=p.name, blob_key=str(p))
        for i, p in enumerate(paths)
    ]
    root.batches.add_items(batch, items)
    return root.batches.get("local", batch_id)


def recorder(root: LocalRoot, batch_id: str) -> list[Event]:
    events: list[Event] = []
    root.hub.subscribe(batch_id, events.append)
    return events


def test_a_batch_runs_to_the_end_with_typed_errors_duplicates_and_ordered_events(
    tmp_path: Path, root: LocalRoot
) -> None:
    # GIVEN three receipts, a duplicate of the first, an empty file, a text file and a vanished file
    known = write_receipts(tmp_path / "in", 3)
    folder = tmp_path / "in"
    shutil.copy(folder / "receipt_000.jpg", folder / "receipt_000_copy.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "note.txt").write_text("not an image")
    paths = [
        *sorted(folder.glob("receipt_*.jpg")),
        folder / "empty.jpg",
        folder / "note.txt",
        folder / "gone.jpg",
    ]
    store = root.store
    batch = make_batch(root, "b1", paths)
    events = recorder(root, "b1")

    # WHEN the batch runs
    batch = root.run_to_end(batch)

    # THEN every item has its result, errors are typed rows, and the batch is partially failed
    assert batch.status is BatchStatus.PARTIALLY_FAILED
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.failed, batch.counts.cached) == (
        7,
        4,
        3,
        1,
    )
    items = {i.source: i for i in store.list_items("b1")}
    for name, receipt in known.items():
        result = items[name].result
        assert result is not None and result.receipt is not None
        assert result.receipt.vendor_name.value == receipt.vendor
        assert result.receipt.total.value == receipt.total
    copy = items["receipt_000_copy.jpg"].result
    assert copy is not None and copy.cached and copy.attempts == 0  # scanned once, served to the copy
    codes = {name: items[name].result.error.code for name in ("empty.jpg", "note.txt", "gone.jpg")}  # type: ignore[union-attr]
    assert codes == {"empty.jpg": "empty_file", "note.txt": "unsupported_type", "gone.jpg": "file_unreadable"}

    # AND the events are numbered 1..n: progress at the start, each item's event followed by progress,
    # and one final complete
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.type for e in events]
    assert len(kinds) == 1 + 2 * 7 + 1 and kinds[0] == "progress" and kinds[-1] == "complete"
    assert all(k in ("result", "error") for k in kinds[1:-1:2])
    assert all(k == "progress" for k in kinds[2:-1:2])
    assert sum(isinstance(e, ResultEvent) for e in events) == 4
    assert sum(isinstance(e, ErrorEvent) for e in events) == 3
    assert sum(isinstance(e, ProgressEvent) for e in events) == 1 + 7
    last = events[-1]
    assert isinstance(last, CompleteEvent) and last.status is BatchStatus.PARTIALLY_FAILED
    assert last.counts.done == 7


def test_a_repeat_batch_is_served_from_the_cache_without_starting_workers(
    tmp_path: Path, runner_settings: Settings
) -> None:
    write_receipts(tmp_path / "a", 2)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    first_root = LocalRoot(runner_settings)
    try:
        first_root.run_to_end(make_batch(first_root, "first", sorted((tmp_path / "a").iterdir())))
    finally:
        first_root.shutdown()
    root = LocalRoot(runner_settings)
    try:
        second = root.run_to_end(make_batch(root, "second", sorted((tmp_path / "b").iterdir())))
        assert not root.dispatcher.pool_started  # no worker, so no OCR call at all
    finally:
        root.shutdown()
    assert second.status is BatchStatus.SUCCEEDED
    assert second.counts.cached == 2
    assert all(i.result is not None and i.result.cached for i in root.store.list_items("second"))


def test_items_can_live_in_the_blob_store(tmp_path: Path, root: LocalRoot) -> None:
    write_receipts(tmp_path / "in", 1)
    data = (tmp_path / "in" / "receipt_000.jpg").read_bytes()
    root.blobs.put("local/b1/000.jpg", data)
    batch = root.batches.create(Batch(batch_id="b1"))
    root.batches.add_items(
        batch,
        [
            BatchItem(batch_id="b1", item_id="000", source="upload.jpg", blob_key="local/b1/000.jpg"),
            BatchItem(batch_id="b1", item_id="001", source="lost.jpg", blob_key="local/b1/001.jpg"),
        ],
    )
    batch = root.run_to_end(root.batches.get("local", "b1"))
    assert (batch.counts.succeeded, batch.counts.failed) == (1, 1)
    lost = root.store.get_item("b1", "001").result
    assert lost is not None and lost.error is not None and lost.error.code == "file_unreadable"


def test_cancel_finishes_in_flight_items_cancels_the_rest_and_a_rerun_completes(
    tmp_path: Path, settings: Settings
) -> None:
    # GIVEN one worker and six receipts, and a cancel requested as soon as the first result arrives
    root = LocalRoot(settings.model_copy(update={"workers": 1}))
    write_receipts(tmp_path / "in", 6)
    batch = make_batch(root, "b1", sorted((tmp_path / "in").iterdir()))
    interrupt = threading.Event()
    root.hub.subscribe("b1", lambda e: interrupt.set() if isinstance(e, ResultEvent) else None)
    events = recorder(root, "b1")
    try:
        stopped = root.run_to_end(batch, interrupt=interrupt)
        # THEN the work in flight finished, the rest is cancelled, and what finished is kept
        assert stopped.status is BatchStatus.CANCELLED
        assert stopped.counts.succeeded >= 1 and stopped.counts.cancelled >= 1
        assert stopped.counts.succeeded + stopped.counts.cancelled == 6
        assert [e.type for e in events].count("complete") == 1
        kept = {i.item_id: i.result for i in root.store.list_items("b1", status=ItemStatus.SUCCEEDED)}

        # WHEN it runs again
        resumed = root.run_to_end(stopped)
    finally:
        root.shutdown()
    # THEN it completes and the earlier results were not redone
    assert resumed.status is BatchStatus.SUCCEEDED and resumed.counts.succeeded == 6
    for item_id, result in kept.items():
        assert root.store.get_item("b1", item_id).result == result


def test_items_left_running_by_a_crash_are_scanned_again(tmp_path: Path, root: LocalRoot) -> None:
    write_receipts(tmp_path / "in", 2)
    make_batch(root, "b1", sorted((tmp_path / "in").iterdir()))
    root.store.set_batch_status("b1", BatchStatus.RUNNING)
    assert root.store.claim_item("b1", "000")  # a worker took it, then the process died
    batch = root.run_to_end(root.batches.get("local", "b1"))
    assert batch.status is BatchStatus.SUCCEEDED and batch.counts.succeeded == 2


def test_an_unknown_provider_gives_error_rows_not_a_crash(tmp_path: Path, root: LocalRoot) -> None:
    write_receipts(tmp_path / "in", 1)
    batch = make_batch(root, "b1", sorted((tmp_path / "in").iterdir()), provider="no-such-provider")
    batch = root.run_to_end(batch)
    assert batch.status is BatchStatus.FAILED
    result = root.store.get_item("b1", "000").result
    assert result is not None and result.error is not None and result.error.code == "internal_error"


@pytest.mark.timeout(120)
def test_a_killed_worker_costs_only_its_items_and_the_batch_goes_on(tmp_path: Path, root: LocalRoot) -> None:
    import os
    import signal

    import psutil

    # GIVEN a batch of six receipts on two workers, and a worker killed once the first result is in
    write_receipts(tmp_path / "in", 6)
    batch = make_batch(root, "b1", sorted((tmp_path / "in").iterdir()))
    killed: list[int] = []

    def kill_a_worker(event: Event) -> None:
        if isinstance(event, ResultEvent) and not killed:
            workers = [p for p in psutil.Process().children() if "spawn_main" in command_line(p)]
            killed.append(workers[0].pid)
            os.kill(workers[0].pid, signal.SIGKILL)

    root.hub.subscribe("b1", kill_a_worker)
    # WHEN the batch runs
    batch = root.run_to_end(batch)
    # THEN every item is finished and read: the ones in flight on the dead pool were scanned again
    assert killed
    assert batch.counts.done == 6 and batch.counts.succeeded == 6
    assert root.store.list_items("b1", status=ItemStatus.FAILED) == []


@pytest.mark.timeout(120)
def test_an_item_that_kills_its_worker_twice_gets_a_typed_error_and_the_batch_ends(
    tmp_path: Path, runner_settings: Settings
) -> None:
    import os
    import signal
    import time

    import psutil

    # GIVEN one receipt on one worker, and a watcher that kills every new worker process, twice
    write_receipts(tmp_path / "in", 1)
    root = LocalRoot(runner_settings.model_copy(update={"workers": 1}))
    batch = make_batch(root, "b1", sorted((tmp_path / "in").iterdir()))
    killed: list[int] = []
    done = threading.Event()

    def kill_new_workers() -> None:
        deadline = time.monotonic() + 90
        while len(killed) < 2 and not done.is_set() and time.monotonic() < deadline:
            for child in psutil.Process().children():
                try:
                    spawned = any("spawn_main" in part for part in child.cmdline())
                except psutil.Error:
                    continue
                if spawned and child.pid not in killed:
                    killed.append(child.pid)
                    os.kill(child.pid, signal.SIGKILL)
                    break
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_new_workers, daemon=True)
    watcher.start()
    # WHEN the batch runs
    try:
        batch = root.run_to_end(batch)
    finally:
        done.set()
        watcher.join(timeout=5)
        root.shutdown()
    # THEN the item was tried on two pools, then recorded as a typed error; the batch still ended
    assert len(killed) == 2
    assert batch.status is BatchStatus.FAILED and batch.counts.failed == 1
    (item,) = root.store.list_items("b1")
    assert item.result is not None and item.result.error is not None
    assert item.result.error.code == "worker_crashed"


def test_retry_failed_right_as_a_run_reports_its_end_is_not_refused(tmp_path: Path, root: LocalRoot) -> None:
    # GIVEN a batch whose only file is missing, and a client that retries the moment it hears "complete"
    batch = make_batch(root, "b1", [tmp_path / "missing.jpg"])
    retried: list[Batch] = []
    completes: list[CompleteEvent] = []
    asked = threading.Event()  # set before the retry: its own run may end before retry_failed returns

    def retry_on_complete(event: Event) -> None:
        if isinstance(event, CompleteEvent):
            completes.append(event)
            if not asked.is_set():  # still on the first run's thread, before it ends
                asked.set()
                retried.append(root.batches.retry_failed(root.batches.get("local", "b1")))

    root.hub.subscribe("b1", retry_on_complete)

    # WHEN the batch runs
    root.run_to_end(batch)
    root.dispatcher.wait("b1", timeout=60)

    # THEN the retry was accepted (no ConflictError; its run may already have ended by the time
    # retry_failed returns) and ran to its own end
    assert len(retried) == 1
    assert [e.status for e in completes] == [BatchStatus.FAILED, BatchStatus.FAILED]
    assert root.batches.get("local", "b1").counts.failed == 1
