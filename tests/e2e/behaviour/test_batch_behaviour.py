"""One behaviour, two dispatchers: each scenario runs on the local process pool and on the real state
machine under moto (see ``drivers.py``), and asserts the same statuses, counts and event sequence.

One worker / a Map concurrency of 1, so the order of items is fixed and the event sequences are exact."""

from __future__ import annotations

import pytest
from receiptflow.errors import ConflictError
from receiptflow.models import BatchStatus, ItemStatus

from tests.e2e.behaviour.drivers import TENANT, Driver
from tests.support.jpegs import corrupt_jpeg, receipt_jpeg

pytestmark = pytest.mark.e2e


def good(*numbers: int) -> list[tuple[str, bytes]]:
    return [(f"r{n}.jpg", receipt_jpeg(n)) for n in numbers]


def types(driver: Driver, batch_id: str) -> list[str]:
    events = driver.events(batch_id)
    assert [e.seq for e in events] == list(range(events[0].seq, events[0].seq + len(events))), "a gap"
    return [e.type for e in events]


def item_run(*kinds: str) -> list[str]:
    """A run's events: progress at its start, then each item's event followed by progress."""
    return ["progress"] + [k for kind in kinds for k in (kind, "progress")]


def test_happy_path(driver: Driver) -> None:
    batch = driver.new_batch("happy", good(1, 2, 3))
    assert driver.service.start(batch).status is BatchStatus.RUNNING
    done = driver.wait_final("happy")
    assert done.status is BatchStatus.SUCCEEDED
    assert (done.counts.total, done.counts.succeeded, done.counts.failed) == (3, 3, 0)
    assert types(driver, "happy") == item_run("result", "result", "result") + ["complete"]
    assert driver.provider_calls == 3 and driver.runs("happy") == 1


def test_a_corrupt_item_is_a_typed_error_and_the_batch_goes_on(driver: Driver) -> None:
    batch = driver.new_batch("corrupt", [*good(4), ("broken.jpg", corrupt_jpeg()), *good(5)])
    driver.service.start(batch)
    done = driver.wait_final("corrupt")
    assert done.status is BatchStatus.PARTIALLY_FAILED
    assert (done.counts.succeeded, done.counts.failed) == (2, 1)
    broken = driver.service.store.get_item("corrupt", "00002")
    assert broken.result is not None and broken.result.error is not None
    assert broken.result.error.code == "corrupt_image"
    assert types(driver, "corrupt") == item_run("result", "error", "result") + ["complete"]
    assert driver.provider_calls == 2  # a file that cannot be decoded never reaches the provider


def test_provider_throttling_slows_the_item_down_but_does_not_fail_it(driver: Driver) -> None:
    driver.throttle_next(1)
    batch = driver.new_batch("throttled", good(6, 7))
    driver.service.start(batch)
    done = driver.wait_final("throttled")
    assert done.status is BatchStatus.SUCCEEDED and done.counts.succeeded == 2
    assert types(driver, "throttled") == item_run("result", "result") + ["complete"]
    assert driver.provider_calls == 3  # the throttled call was tried again


def cancel_mid_batch(driver: Driver, batch_id: str) -> None:
    """Start four items, cancel while the first is in flight, then let it finish."""
    batch = driver.new_batch(batch_id, good(11, 12, 13, 14))
    gate = driver.hold()
    driver.service.start(batch)
    gate.wait_arrival()  # the first item is being scanned

    answer = driver.service.cancel(driver.service.get(TENANT, batch_id))  # what DELETE answers (202)

    assert answer.status is BatchStatus.CANCELLING
    assert (answer.counts.cancelled, answer.counts.done, answer.counts.total) == (3, 3, 4)
    in_flight = driver.service.store.list_items(batch_id, status=ItemStatus.RUNNING)
    assert [i.item_id for i in in_flight] == ["00001"]
    calls_at_cancel = driver.provider_calls
    gate.release.set()
    done = driver.wait_final(batch_id)
    # no item started after the answer: the provider saw only the item already in flight
    assert driver.provider_calls == calls_at_cancel == 1
    assert done.status is BatchStatus.CANCELLED
    assert (done.counts.succeeded, done.counts.cancelled) == (1, 3)
    assert driver.service.store.get_item(batch_id, "00001").status is ItemStatus.SUCCEEDED


def test_cancel_mid_batch_keeps_what_was_in_flight_and_starts_nothing_more(driver: Driver) -> None:
    cancel_mid_batch(driver, "cancel")
    # progress (start), progress (the cancel), the in-flight item, and exactly one complete
    assert types(driver, "cancel") == ["progress", "progress", "result", "progress", "complete"]


def test_retry_failed_scans_only_the_failed_items_once(driver: Driver) -> None:
    # GIVEN a finished batch with one corrupt file, uploaded again fixed
    batch = driver.new_batch("retry", [*good(21), ("bad.jpg", corrupt_jpeg()), *good(22)])
    driver.service.start(batch)
    finished = driver.wait_final("retry")
    assert finished.status is BatchStatus.PARTIALLY_FAILED
    driver.replace(finished, "00002", receipt_jpeg(23))
    calls_before, events_before = driver.provider_calls, len(driver.events("retry"))

    # WHEN retry-failed is called, and again while the retry runs
    gate = driver.hold()
    retried = driver.service.retry_failed(finished)
    assert retried.status is BatchStatus.RUNNING and retried.counts.failed == 0
    with pytest.raises(ConflictError):
        driver.service.retry_failed(finished)
    gate.release.set()
    done = driver.wait_final("retry")

    # THEN the one failed item was scanned once, and the batch completed once more
    assert done.status is BatchStatus.SUCCEEDED and done.counts.succeeded == 3
    assert driver.provider_calls == calls_before + 1
    assert types(driver, "retry")[events_before:] == item_run("result") + ["complete"]
    assert driver.runs("retry") == 2


def test_retry_failed_after_a_cancel_scans_the_cancelled_items(driver: Driver) -> None:
    cancel_mid_batch(driver, "retry-cancelled")
    cancelled = driver.service.get(TENANT, "retry-cancelled")
    retried = driver.service.retry_failed(cancelled)
    assert retried.status is BatchStatus.RUNNING and retried.counts.cancelled == 0
    done = driver.wait_final("retry-cancelled")
    assert done.status is BatchStatus.SUCCEEDED and done.counts.succeeded == 4
    assert driver.provider_calls == 4  # the three cancelled items, and nothing twice
    after_cancel = types(driver, "retry-cancelled")[5:]
    assert after_cancel == item_run("result", "result", "result") + ["complete"]


def test_a_duplicate_start_changes_nothing(driver: Driver) -> None:
    batch = driver.new_batch("twice", good(31, 32))
    driver.service.start(batch)
    with pytest.raises(ConflictError):
        driver.service.start(batch)  # a double click, with the page's stale copy of the batch
    done = driver.wait_final("twice")
    assert done.status is BatchStatus.SUCCEEDED and done.counts.succeeded == 2
    assert driver.runs("twice") == 1 and driver.provider_calls == 2
    assert types(driver, "twice") == item_run("result", "result") + ["complete"]


def test_the_same_folder_handed_in_twice_is_one_batch_scanned_once(driver: Driver) -> None:
    batch_id = driver.deliver_twice("trip", good(41, 42))
    done = driver.service.get(TENANT if driver.mode == "aws" else "local", batch_id)
    assert done.status is BatchStatus.SUCCEEDED and done.counts.succeeded == 2
    assert driver.provider_calls == 2  # the second delivery scanned nothing
    assert done.last_seq == len(item_run("result", "result")) + 1  # and published nothing
