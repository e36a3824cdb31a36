"""The per-item limits of the local worker pool (``worker_limits.PoolWatch``), on real worker processes
with tasks that overrun on purpose: an item past the time limit or the memory cap ends as
``resource_limit`` naming the limit, its worker is replaced, and the items beside it still succeed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import psutil
import pytest
from receiptflow.adapters.embedded.process_pool import ProcessPoolDispatcher
from receiptflow.errors import ItemTimeoutError, ResourceLimitError
from receiptflow.models import BatchItem, ScanResult
from receiptflow.ports import PoolTask

from tests.support import pool_tasks
from tests.support.process_tree import command_line, survivors

CAP_MB = 384
TIME_LIMIT_S = 2.0


def _no_preparing(item: BatchItem, provider: str | None, use_cache: bool) -> ScanResult | PoolTask:
    raise AssertionError("call() does not prepare items")


def _pool(item_timeout_s: float) -> ProcessPoolDispatcher:
    return ProcessPoolDispatcher(
        workers=2,
        initializer=pool_tasks.init_capped,
        initargs=(CAP_MB,),
        prepare=_no_preparing,
        memory_limit_mb=CAP_MB,
        item_timeout_s=item_timeout_s,
    )


@pytest.fixture
def dispatcher() -> Iterator[ProcessPoolDispatcher]:
    pool = _pool(TIME_LIMIT_S)
    yield pool
    pool.close()


@pytest.fixture
def patient_dispatcher() -> Iterator[ProcessPoolDispatcher]:
    """The same pool with a time limit no loaded machine reaches before the memory cap."""
    pool = _pool(120.0)
    yield pool
    pool.close()


def task(fn: object, *args: object, key: str = "k") -> PoolTask:
    return PoolTask(key=key, fn=fn, args=args)  # type: ignore[arg-type]


def _workers() -> list[psutil.Process]:
    """This process's pool workers (not multiprocessing's resource tracker, which lives as long as it)."""
    return [p for p in psutil.Process().children(recursive=True) if "resource_tracker" not in command_line(p)]


def test_an_item_past_the_time_limit_is_stopped_and_its_worker_replaced(
    dispatcher: ProcessPoolDispatcher,
) -> None:
    # GIVEN a pool whose workers are up
    first = json.loads(dispatcher.call(task(pool_tasks.pid_task)))
    # WHEN an item takes far longer than the time limit
    with pytest.raises(ItemTimeoutError) as raised:
        dispatcher.call(task(pool_tasks.sleep_task, 600.0))
    # THEN it is a resource_limit error naming the limit, and the worker that ran it is gone
    assert raised.value.code == "resource_limit"
    assert f"time limit {TIME_LIMIT_S:g} s" in str(raised.value)
    assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
    # AND a fresh worker takes the next item
    assert json.loads(dispatcher.call(task(pool_tasks.pid_task))) != first


def test_an_item_past_the_memory_cap_is_a_typed_error_naming_the_cap(
    patient_dispatcher: ProcessPoolDispatcher,
) -> None:
    # WHEN an item's memory grows without end in a worker capped at CAP_MB
    with pytest.raises(ResourceLimitError) as raised:
        patient_dispatcher.call(task(pool_tasks.grow_task, 16, 0.01))
    # THEN it is stopped as resource_limit naming the memory limit (not a worker crash)
    assert raised.value.code == "resource_limit"
    assert f"memory limit {CAP_MB} MiB" in str(raised.value)
    # AND the pool still answers
    assert isinstance(json.loads(patient_dispatcher.call(task(pool_tasks.pid_task))), int)


def test_items_beside_an_overrunning_one_still_succeed(dispatcher: ProcessPoolDispatcher) -> None:
    # GIVEN one item that overruns the time limit and quick items in flight beside it
    outcomes: dict[str, object] = {}

    def run(name: str, pool_task: PoolTask) -> None:
        try:
            outcomes[name] = json.loads(dispatcher.call(pool_task))
        except Exception as e:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[name] = e

    threads = [threading.Thread(target=run, args=("slow", task(pool_tasks.sleep_task, 600.0)))]
    threads += [
        threading.Thread(target=run, args=(f"quick{i}", task(pool_tasks.sleep_task, 0.2 * i)))
        for i in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    # THEN only the overrunning item failed, with its typed error; the others (bystanders of the stopped
    # worker included) have their answers
    assert isinstance(outcomes.pop("slow"), ItemTimeoutError)
    assert all(isinstance(pid, int) for pid in outcomes.values()), outcomes
    assert len(outcomes) == 6


def test_closing_the_pool_leaves_no_worker(dispatcher: ProcessPoolDispatcher) -> None:
    # GIVEN a pool that replaced a worker stopped at its time limit
    with pytest.raises(ItemTimeoutError):
        dispatcher.call(task(pool_tasks.sleep_task, 600.0))
    dispatcher.call(task(pool_tasks.pid_task))
    workers = _workers()
    assert workers
    # WHEN it is closed
    dispatcher.close()
    # THEN no process it started is left
    assert survivors(workers, within_s=5) == []


def test_an_item_past_the_resident_budget_is_stopped_without_a_data_cap() -> None:
    # GIVEN a pool with no data-segment cap, only a resident budget
    pool = ProcessPoolDispatcher(
        workers=1,
        initializer=pool_tasks.init_capped,
        initargs=(0,),
        prepare=_no_preparing,
        resident_budget_mb=256,
    )
    try:
        # WHEN an item's memory grows without end
        with pytest.raises(ResourceLimitError) as raised:
            pool.call(task(pool_tasks.grow_task, 16, 0.01))
        # THEN it is stopped at the budget, named
        assert str(raised.value).startswith("memory limit 256 MiB resident: ")
        assert isinstance(json.loads(pool.call(task(pool_tasks.pid_task))), int)
    finally:
        pool.close()
