"""Contract of ``ports.BatchStore``, run against SQLite (embedded) and DynamoDB (AWS, under moto)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.errors import ConflictError, NotFoundError, StoreUnavailableError
from receiptflow.models import (
    Batch,
    BatchItem,
    BatchOptions,
    BatchStatus,
    ItemStatus,
    MoneyField,
    Receipt,
    ScanError,
    ScanResult,
    ScanStatus,
    TextField,
)
from receiptflow.ports import BatchStore

from tests.support.backends import BACKENDS, AwsResources, build, embedded_class
from tests.support.clock import FakeClock
from tests.support.flaky import FlakyClient, client_error

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
TENANT = "tenant-a"
OTHER_TENANT = "tenant-b"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Any, clock: FakeClock) -> Iterator[BatchStore]:
    """A fresh, empty batch store of each kind."""
    if request.param == "embedded":
        cls = embedded_class("receiptflow.adapters.embedded.batch_store", "SqliteBatchStore")
        yield build(cls, tmp_path / "receiptflow.db", clock=clock)
    else:
        aws: AwsResources = request.getfixturevalue("aws")
        yield DynamoBatchStore(aws.table, clock=clock)


def new_batch(store: BatchStore, batch_id: str = "b1", *, tenant: str = TENANT, **extra: Any) -> Batch:
    batch = Batch(batch_id=batch_id, tenant_id=tenant, name=f"batch {batch_id}", **extra)
    store.create_batch(batch)
    return batch


def add(store: BatchStore, batch_id: str, *item_ids: str) -> int:
    return store.add_items(
        [BatchItem(batch_id=batch_id, item_id=i, source=f"{i}.jpg", blob_key=f"in/{i}.jpg") for i in item_ids]
    )


def ok(source: str = "x.jpg", *, cached: bool = False, total: str = "12.34", cost: float = 0.0) -> ScanResult:
    receipt = Receipt(
        vendor_name=TextField(value="MEGA MARKET PLUS", text="MEGA MARKET PLUS", confidence=0.98),
        total=MoneyField(value=Decimal(total), text=f"${total}", confidence=0.97, currency="USD"),
        provider="textract",
    )
    return ScanResult(
        source=source,
        sha256="ab" * 32,
        status=ScanStatus.OK,
        receipt=receipt,
        provider="textract",
        cached=cached,
        attempts=1,
        cost_usd=cost,
    )


def failed(source: str = "x.jpg", *, cached: bool = False) -> ScanResult:
    return ScanResult(
        source=source,
        status=ScanStatus.ERROR,
        error=ScanError(code="unreadable_document", message="no receipt in image"),
        cached=cached,
    )


def run_threads(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run ``fn(i)`` for i in range(n) on ``n`` threads released together."""
    barrier = threading.Barrier(n)

    def go(i: int) -> T:
        barrier.wait()
        return fn(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(go, range(n)))


# --- batches -----------------------------------------------------------------------------------
def test_created_batch_reads_back_with_its_fields(store: BatchStore) -> None:
    created = new_batch(store, expected_files=3, options=BatchOptions(provider="textract", use_cache=False))

    got = store.get_batch(TENANT, "b1")

    assert got.model_dump() == created.model_dump()


def test_duplicate_batch_id_conflicts(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(ConflictError):
        new_batch(store)


def test_missing_batch_is_not_found(store: BatchStore) -> None:
    with pytest.raises(NotFoundError):
        store.get_batch(TENANT, "nope")


def test_other_tenant_cannot_see_a_batch(store: BatchStore) -> None:
    new_batch(store, tenant=TENANT)

    with pytest.raises(NotFoundError):
        store.get_batch(OTHER_TENANT, "b1")
    assert store.list_batches(OTHER_TENANT) == []


def test_list_batches_is_newest_first_and_limited(store: BatchStore) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n, batch_id in enumerate(["old", "new", "mid"]):
        offset = {"old": 0, "mid": 1, "new": 2}[batch_id]
        new_batch(store, batch_id, created_at=start + dt.timedelta(hours=offset, microseconds=n))
    new_batch(store, "foreign", tenant=OTHER_TENANT, created_at=start + dt.timedelta(days=1))

    assert [b.batch_id for b in store.list_batches(TENANT)] == ["new", "mid", "old"]
    assert [b.batch_id for b in store.list_batches(TENANT, limit=2)] == ["new", "mid"]


def test_set_batch_status_sets_status_and_fields(store: BatchStore) -> None:
    new_batch(store)
    started = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

    running = store.set_batch_status(
        "b1", BatchStatus.RUNNING, expected=[BatchStatus.CREATED], started_at=started, execution_arn="arn:x"
    )
    done = store.set_batch_status("b1", BatchStatus.SUCCEEDED, cost_usd=0.25, finished_at=started)

    assert running.status is BatchStatus.RUNNING and running.started_at == started
    assert running.execution_arn == "arn:x"
    assert done.status is BatchStatus.SUCCEEDED and done.cost_usd == pytest.approx(0.25)
    assert store.get_batch(TENANT, "b1").model_dump() == done.model_dump()
    # a restart clears the finish time again
    restarted = store.set_batch_status("b1", BatchStatus.RUNNING, finished_at=None)
    assert restarted.finished_at is None and restarted.started_at == started


def test_set_batch_status_with_unexpected_current_status_conflicts(store: BatchStore) -> None:
    new_batch(store)
    store.set_batch_status("b1", BatchStatus.CANCELLED)

    with pytest.raises(ConflictError):
        store.set_batch_status("b1", BatchStatus.RUNNING, expected=[BatchStatus.CREATED])
    assert store.get_batch(TENANT, "b1").status is BatchStatus.CANCELLED


def test_set_status_of_missing_batch_is_not_found(store: BatchStore) -> None:
    with pytest.raises(NotFoundError):
        store.set_batch_status("nope", BatchStatus.RUNNING, expected=[BatchStatus.CREATED])


def test_set_batch_status_rejects_unknown_columns(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(ValueError):
        store.set_batch_status("b1", BatchStatus.RUNNING, tenant_id="someone-else")


# --- items -------------------------------------------------------------------------------------
def test_add_items_is_idempotent_and_counts_follow(store: BatchStore) -> None:
    new_batch(store)

    assert add(store, "b1", "i1", "i2", "i3") == 3
    assert add(store, "b1", "i2", "i3", "i4") == 1

    batch = store.get_batch(TENANT, "b1")
    assert batch.counts.total == 4 and batch.counts.pending == 4
    item = store.get_item("b1", "i4")
    assert (item.status, item.source, item.blob_key, item.result) == (
        ItemStatus.PENDING,
        "i4.jpg",
        "in/i4.jpg",
        None,
    )


def test_adding_many_items_counts_each_once(store: BatchStore) -> None:
    new_batch(store)
    ids = [f"img-{n:04d}" for n in range(120)]

    assert add(store, "b1", *ids) == 120
    assert add(store, "b1", *ids[::2]) == 0

    assert store.get_batch(TENANT, "b1").counts.total == 120
    assert len(store.list_items("b1", limit=1000)) == 120


def test_items_of_a_missing_batch_are_rejected(store: BatchStore) -> None:
    with pytest.raises(NotFoundError):
        add(store, "nope", "i1")


def test_missing_item_is_not_found(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(NotFoundError):
        store.get_item("b1", "nope")


def test_list_items_orders_by_id_and_pages_with_the_cursor(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i03", "i00", "i04", "i02", "i01")

    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = [i.item_id for i in store.list_items("b1", after=cursor, limit=2)]
        if not page:
            break
        pages.append(page)
        cursor = page[-1]

    assert pages == [["i00", "i01"], ["i02", "i03"], ["i04"]]


def test_list_items_filters_by_status(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1", "i2", "i3", "i4")
    store.claim_item("b1", "i2")
    store.claim_item("b1", "i4")

    running = store.list_items("b1", status=ItemStatus.RUNNING)
    after_cursor = store.list_items("b1", status=ItemStatus.RUNNING, after="i2")

    assert [i.item_id for i in running] == ["i2", "i4"]
    assert [i.item_id for i in after_cursor] == ["i4"]
    assert [i.item_id for i in store.list_items("b1", status=ItemStatus.PENDING)] == ["i1", "i3"]


def test_list_items_does_not_leak_other_batches(store: BatchStore) -> None:
    new_batch(store, "b1")
    new_batch(store, "b2")
    add(store, "b1", "i1")
    add(store, "b2", "i2")

    assert [i.item_id for i in store.list_items("b1")] == ["i1"]


# --- claim / finish ----------------------------------------------------------------------------
def test_claim_moves_pending_to_running_once(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1")

    assert store.claim_item("b1", "i1") is True
    assert store.claim_item("b1", "i1") is False
    assert store.get_item("b1", "i1").status is ItemStatus.RUNNING


def test_claim_of_missing_item_is_not_found(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(NotFoundError):
        store.claim_item("b1", "nope")


def test_only_one_of_many_concurrent_claims_wins(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1")

    wins = run_threads(8, lambda _: store.claim_item("b1", "i1"))

    assert sorted(wins) == [False] * 7 + [True]


def test_finish_records_result_and_counts_once(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1", "i2", "i3")
    store.claim_item("b1", "i1")

    assert store.finish_item("b1", "i1", ok("i1.jpg", total="1810.46")) is True
    assert store.finish_item("b1", "i1", failed("i1.jpg")) is False  # retried worker: no change
    assert store.finish_item("b1", "i2", failed("i2.jpg", cached=True)) is True  # pending may finish directly

    item = store.get_item("b1", "i1")
    assert item.status is ItemStatus.SUCCEEDED
    assert item.result is not None and item.result.receipt is not None
    assert item.result.receipt.total.value == Decimal("1810.46")
    assert store.get_item("b1", "i2").status is ItemStatus.FAILED
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.total, counts.succeeded, counts.failed, counts.cached, counts.pending) == (3, 1, 1, 1, 1)


def test_finish_of_missing_item_is_not_found(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(NotFoundError):
        store.finish_item("b1", "nope", ok())


def test_counts_never_drift_under_concurrent_repeated_finishes(store: BatchStore) -> None:
    # GIVEN 20 items, WHEN 8 workers each finish all 20 (as retried/duplicated workers would)
    new_batch(store)
    ids = [f"i{n:02d}" for n in range(20)]
    add(store, "b1", *ids)

    def worker(w: int) -> int:
        order = ids if w % 2 else ids[::-1]
        return sum(store.finish_item("b1", i, ok(f"{i}.jpg", cached=w == 0)) for i in order)

    wins = run_threads(8, worker)

    # THEN each item was finished exactly once and the counters say exactly 20
    assert sum(wins) == 20
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.total, counts.succeeded, counts.failed, counts.done) == (20, 20, 0, 20)
    assert counts.cached == wins[0]
    assert all(i.status is ItemStatus.SUCCEEDED for i in store.list_items("b1"))


# --- bulk transitions --------------------------------------------------------------------------
def test_cancel_unfinished_cancels_pending_and_running_only(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "p1", "p2", "r1", "s1", "f1")
    store.claim_item("b1", "r1")
    store.finish_item("b1", "s1", ok())
    store.finish_item("b1", "f1", failed())

    assert store.cancel_unfinished("b1") == 3
    assert store.cancel_unfinished("b1") == 0

    statuses = {i.item_id: i.status for i in store.list_items("b1")}
    assert statuses == {
        "f1": ItemStatus.FAILED,
        "p1": ItemStatus.CANCELLED,
        "p2": ItemStatus.CANCELLED,
        "r1": ItemStatus.CANCELLED,
        "s1": ItemStatus.SUCCEEDED,
    }
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.cancelled, counts.succeeded, counts.failed, counts.pending) == (3, 1, 1, 0)
    assert store.finish_item("b1", "r1", ok()) is False  # a late worker cannot resurrect it


def test_cancel_pending_leaves_running_items_to_finish(store: BatchStore) -> None:
    # GIVEN pending, running and finished items
    new_batch(store)
    add(store, "b1", "p1", "p2", "r1", "s1")
    store.claim_item("b1", "r1")
    store.finish_item("b1", "s1", ok())

    # WHEN the pending ones are cancelled (twice: a repeated cancel changes nothing)
    assert store.cancel_pending("b1") == 2
    assert store.cancel_pending("b1") == 0

    # THEN the running item is still running, may not be claimed again, and finishes with its result
    statuses = {i.item_id: i.status for i in store.list_items("b1")}
    assert statuses == {
        "p1": ItemStatus.CANCELLED,
        "p2": ItemStatus.CANCELLED,
        "r1": ItemStatus.RUNNING,
        "s1": ItemStatus.SUCCEEDED,
    }
    assert store.claim_item("b1", "p1") is False
    assert store.finish_item("b1", "r1", ok()) is True
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.cancelled, counts.succeeded, counts.done, counts.total) == (2, 2, 4, 4)


def test_cancel_racing_workers_counts_every_item_exactly_once(store: BatchStore) -> None:
    # GIVEN workers finishing items WHILE the batch is cancelled
    new_batch(store)
    ids = [f"i{n:02d}" for n in range(40)]
    add(store, "b1", *ids)

    def actor(n: int) -> int:
        if n == 0:
            return store.cancel_unfinished("b1")
        return sum(store.finish_item("b1", i, ok(f"{i}.jpg")) for i in ids[n - 1 :: 3])

    cancelled, *finished = run_threads(4, actor)

    # THEN every item ended exactly once, either finished or cancelled
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.succeeded, counts.cancelled) == (sum(finished), cancelled)
    assert counts.done == counts.total == 40
    assert not store.list_items("b1", status=ItemStatus.PENDING)


def test_cancel_unfinished_handles_large_batches(store: BatchStore) -> None:
    new_batch(store)
    ids = [f"img-{n:04d}" for n in range(120)]
    add(store, "b1", *ids)
    store.finish_item("b1", ids[7], ok())

    assert store.cancel_unfinished("b1") == 119

    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.cancelled, counts.succeeded, counts.done, counts.pending) == (119, 1, 120, 0)
    assert len(store.list_items("b1", status=ItemStatus.CANCELLED, limit=500)) == 119


def test_release_running_returns_crashed_items_to_pending(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1", "i2", "i3")
    store.claim_item("b1", "i1")
    store.claim_item("b1", "i2")

    assert store.release_running("b1") == 2

    assert {i.status for i in store.list_items("b1")} == {ItemStatus.PENDING}
    assert store.claim_item("b1", "i1") is True
    assert store.get_batch(TENANT, "b1").counts.pending == 3


def test_reset_failed_requeues_failures_and_counts_follow(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "f1", "f2", "s1")
    store.finish_item("b1", "f1", failed("f1.jpg"))
    store.finish_item("b1", "f2", failed("f2.jpg", cached=True))
    store.finish_item("b1", "s1", ok("s1.jpg", cached=True))

    reset = store.reset_failed("b1")

    assert sorted(i.item_id for i in reset) == ["f1", "f2"]
    assert all(i.status is ItemStatus.PENDING for i in reset)
    assert store.get_item("b1", "f1").status is ItemStatus.PENDING
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.failed, counts.succeeded, counts.cached, counts.pending) == (0, 1, 1, 2)
    assert store.reset_failed("b1") == []
    # the retry finishes normally and is counted once
    assert store.finish_item("b1", "f1", ok("f1.jpg")) is True
    assert store.get_batch(TENANT, "b1").counts.succeeded == 2


def test_reset_cancelled_requeues_cancelled_items(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1", "i2")
    store.finish_item("b1", "i1", ok())
    store.cancel_unfinished("b1")

    reset = store.reset_cancelled("b1")

    assert [i.item_id for i in reset] == ["i2"]
    counts = store.get_batch(TENANT, "b1").counts
    assert (counts.cancelled, counts.succeeded, counts.pending) == (0, 1, 1)
    assert store.claim_item("b1", "i2") is True


# --- corrections and sequence numbers ----------------------------------------------------------
def test_correction_is_kept_beside_the_machine_result(store: BatchStore) -> None:
    new_batch(store)
    add(store, "b1", "i1")
    store.finish_item("b1", "i1", ok(total="12.34"))

    updated = store.set_correction("b1", "i1", {"total": "12.43", "vendor_name": "Mega Market"})

    for item in (updated, store.get_item("b1", "i1")):
        assert item.correction == {"total": "12.43", "vendor_name": "Mega Market"}
        assert item.result is not None and item.result.receipt is not None
        assert item.result.receipt.total.value == Decimal("12.34")
        assert item.status is ItemStatus.SUCCEEDED


def test_correction_of_missing_item_is_not_found(store: BatchStore) -> None:
    new_batch(store)
    with pytest.raises(NotFoundError):
        store.set_correction("b1", "nope", {"total": "1"})


def test_next_seq_counts_up_from_one(store: BatchStore) -> None:
    new_batch(store)
    new_batch(store, "b2")

    assert [store.next_seq("b1") for _ in range(3)] == [1, 2, 3]
    assert store.next_seq("b2") == 1
    # the batch says how far its numbering got (a snapshot carries it, so clients can detect gaps)
    assert store.get_batch(TENANT, "b1").last_seq == 3
    assert store.get_batch(TENANT, "b2").last_seq == 1


def test_next_seq_is_unique_under_threads(store: BatchStore) -> None:
    new_batch(store)

    seqs = run_threads(8, lambda _: [store.next_seq("b1") for _ in range(25)])

    flat = sorted(s for chunk in seqs for s in chunk)
    assert flat == list(range(1, 201))
    assert all(chunk == sorted(chunk) for chunk in seqs)  # monotonic as seen by each worker


def test_next_seq_of_missing_batch_is_not_found(store: BatchStore) -> None:
    with pytest.raises(NotFoundError):
        store.next_seq("nope")


# --- AWS side only: TTL, lazy expiry, throughput -----------------------------------------------
RETENTION_DAYS = 30.0


@pytest.fixture
def dynamo(aws: AwsResources, clock: FakeClock) -> DynamoBatchStore:
    return DynamoBatchStore(aws.table, clock=clock, retention_days=RETENTION_DAYS)


def test_aws_every_record_carries_the_ttl_attribute(
    aws: AwsResources, dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    new_batch(dynamo)
    add(dynamo, "b1", "i1", "i2")
    dynamo.finish_item("b1", "i1", ok())

    records = dynamodb_client().scan(TableName=aws.table)["Items"]

    assert len(records) == 3
    expected = int(clock() + RETENTION_DAYS * 86400)
    assert all(int(r["expires_at"]["N"]) == expected for r in records)


def test_aws_expired_records_are_ignored_before_dynamodb_deletes_them(
    dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    # GIVEN a batch past its retention that DynamoDB's lazy TTL has not deleted yet
    new_batch(dynamo)
    add(dynamo, "b1", "i1")
    clock.advance(RETENTION_DAYS * 86400 + 1)

    # THEN no read serves it and no write revives it
    with pytest.raises(NotFoundError):
        dynamo.get_batch(TENANT, "b1")
    with pytest.raises(NotFoundError):
        dynamo.get_item("b1", "i1")
    with pytest.raises(NotFoundError):
        dynamo.claim_item("b1", "i1")
    with pytest.raises(NotFoundError):
        dynamo.set_batch_status("b1", BatchStatus.RUNNING)
    assert dynamo.list_batches(TENANT) == []
    assert dynamo.list_items("b1") == []
    # and its id can be used again
    new_batch(dynamo)
    assert dynamo.get_batch(TENANT, "b1").counts.total == 0


def test_aws_expired_batches_do_not_fill_the_listing(dynamo: DynamoBatchStore, clock: FakeClock) -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for n in range(5):
        new_batch(dynamo, f"old{n}", created_at=start + dt.timedelta(minutes=n))
    clock.advance(RETENTION_DAYS * 86400 + 1)
    new_batch(dynamo, "new1", created_at=start - dt.timedelta(days=1))
    new_batch(dynamo, "new2", created_at=start - dt.timedelta(days=2))

    assert [b.batch_id for b in dynamo.list_batches(TENANT, limit=2)] == ["new1", "new2"]
    assert [b.batch_id for b in dynamo.list_batches(TENANT, limit=1)] == ["new1"]


def test_aws_single_item_write_racing_a_transaction_is_retried(
    aws: AwsResources, dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    new_batch(dynamo)
    conflict = client_error("UpdateItem", "TransactionConflictException")
    flaky = FlakyClient(dynamodb_client(), "update_item", conflict, failures=3)
    worker = DynamoBatchStore(aws.table, cast("DynamoDBClient", flaky), clock=clock)

    assert worker.next_seq("b1") == 1
    assert flaky.calls == 4


def test_aws_throttled_finish_raises_store_unavailable_and_loses_nothing(
    aws: AwsResources, dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    # GIVEN a table that keeps throttling after botocore's own retries, twice
    new_batch(dynamo)
    add(dynamo, "b1", "i1")
    throttled = client_error("TransactWriteItems", "ProvisionedThroughputExceededException")
    flaky = FlakyClient(dynamodb_client(), "transact_write_items", throttled, failures=2)
    worker = DynamoBatchStore(aws.table, cast("DynamoDBClient", flaky), clock=clock)

    # WHEN the worker finishes the item, it gets a retryable domain error each time
    for _ in range(2):
        with pytest.raises(StoreUnavailableError) as raised:
            worker.finish_item("b1", "i1", ok())
        assert raised.value.retryable
    assert dynamo.get_item("b1", "i1").status is ItemStatus.PENDING

    # THEN the caller's retry lands the result, counted once
    assert worker.finish_item("b1", "i1", ok()) is True
    assert dynamo.get_batch(TENANT, "b1").counts.succeeded == 1


@pytest.mark.parametrize("code", ["ThrottlingException", "RequestLimitExceeded"])
def test_aws_throughput_errors_on_reads_become_store_unavailable(aws: AwsResources, code: str) -> None:
    client = dynamodb_client()
    with Stubber(client) as stub:
        stub.add_client_error("get_item", service_error_code=code, http_status_code=400)
        store = DynamoBatchStore(aws.table, client)
        with pytest.raises(StoreUnavailableError):
            store.get_batch(TENANT, "b1")


def test_aws_unreachable_endpoint_becomes_store_unavailable(aws: AwsResources, clock: FakeClock) -> None:
    unreachable = EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")
    flaky = FlakyClient(dynamodb_client(), "get_item", unreachable, failures=1)
    store = DynamoBatchStore(aws.table, cast("DynamoDBClient", flaky), clock=clock)

    with pytest.raises(StoreUnavailableError):
        store.get_item("b1", "i1")


def _transaction_conflict() -> ClientError:
    """What DynamoDB raises when a concurrent write cancels ``finish_item``'s transaction."""
    return client_error(
        "TransactWriteItems",
        "TransactionCanceledException",
        CancellationReasons=[{"Code": "TransactionConflict"}, {"Code": "None"}],
    )


def test_aws_transaction_conflicts_are_retried(
    aws: AwsResources, dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    new_batch(dynamo)
    add(dynamo, "b1", "i1")
    conflict = _transaction_conflict()
    flaky = FlakyClient(dynamodb_client(), "transact_write_items", conflict, failures=2)
    worker = DynamoBatchStore(aws.table, cast("DynamoDBClient", flaky), clock=clock)

    assert worker.finish_item("b1", "i1", ok()) is True

    assert flaky.calls == 3
    assert dynamo.get_batch(TENANT, "b1").counts.succeeded == 1


def test_aws_endless_transaction_conflicts_end_as_store_unavailable(
    aws: AwsResources, dynamo: DynamoBatchStore, clock: FakeClock
) -> None:
    new_batch(dynamo)
    add(dynamo, "b1", "i1")
    conflict = _transaction_conflict()
    flaky = FlakyClient(dynamodb_client(), "transact_write_items", conflict, failures=1000)
    worker = DynamoBatchStore(aws.table, cast("DynamoDBClient", flaky), clock=clock)

    with pytest.raises(StoreUnavailableError):
        worker.finish_item("b1", "i1", ok())
    assert 1 < flaky.calls < 1000
    assert dynamo.get_item("b1", "i1").status is ItemStatus.PENDING
