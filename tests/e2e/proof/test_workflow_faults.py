"""End to end through the state machine (the serverless engineer's offline harness: the real
``batch.asl.json`` run by moto, the real handlers, DynamoDB/S3 under moto, Textract behind a ``Stubber``):

- the whole bad-input corpus dropped into an inbox folder: every file becomes an item with its typed
  error or a receipt, and the execution completes;
- DynamoDB ``ProvisionedThroughputExceededException`` (what is left after botocore's own retries) on the
  first claim and the first result write of every item: the Lambda raises ``StoreUnavailableError``, Step
  Functions retries it by name, the retry is answered from the result cache (Textract is called exactly
  once per image: the Stubber holds one answer per image and no more), and no result is lost;
- two Scan Image deliveries of every item racing to the result write (at-least-once delivery): the
  conditional writes let exactly one record it, and the counters count it once.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.models import Batch, BatchItem, BatchStatus, ItemStatus

from tests.e2e.serverless.test_batch_workflow_e2e import TENANT, drop_folder, start_from_inbox, stub_textract
from tests.support.corpus import build_corpus
from tests.support.events import lambda_context
from tests.support.flaky import client_error
from tests.support.jpegs import receipt_jpeg
from tests.support.serverless_stack import Stack, handler_for, serverless_stack
from tests.support.textract import MEGA_MARKET, load_fixture
from tests.support.tokens import serve_jwks

pytestmark = pytest.mark.e2e

ITEMS = 6


@pytest.fixture
def expense(shared_dir: Path) -> dict[str, Any]:
    return load_fixture(shared_dir, MEGA_MARKET)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    serve_jwks(monkeypatch)
    with serverless_stack(monkeypatch, tmp_path, provider="textract", max_concurrency=2) as stack:
        yield stack


def test_the_bad_input_corpus_through_the_state_machine(
    stack: Stack, expense: dict[str, Any], tmp_path: Path
) -> None:
    # GIVEN the corpus dropped into one inbox folder (Textract answers every page it is sent)
    folder = tmp_path / "corpus"
    expected = build_corpus(folder)
    stubber = stub_textract(expense, responses=3 * len(expected))
    drop_folder(stack, "corpus", {name: (folder / name).read_bytes() for name in expected})

    # WHEN the marker starts the batch
    started, _ = start_from_inbox(stack, "conn-corpus")
    execution = stack.wait(started["execution"], timeout=300)

    # THEN the execution succeeded and every file is an item with its typed error or a receipt
    assert execution["status"] == "SUCCEEDED", execution
    store = DynamoBatchStore(stack.table)
    items = store.list_items(started["batch_id"], limit=1000)
    assert sorted(i.source for i in items) == sorted(expected)
    outcome = {i.source: (i.result.error.code if i.result and i.result.error else None) for i in items}
    # Textract (stubbed) reads a receipt from whatever intake lets through, blank pages included
    assert outcome == {name: (e.code if e.code != "no_text_found" else None) for name, e in expected.items()}
    assert all(i.result and (i.result.receipt is not None) == (outcome[i.source] is None) for i in items)
    batch = store.get_batch(TENANT, started["batch_id"])
    failed = sum(code is not None for code in outcome.values())
    assert batch.status is BatchStatus.PARTIALLY_FAILED
    assert (batch.counts.total, batch.counts.failed, batch.counts.succeeded) == (
        len(expected),
        failed,
        len(expected) - failed,
    )
    assert stubber is not None


def _fail_first_write_per_item(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """``ProvisionedThroughputExceededException`` on the first claim and the first result write of each
    item, raised where botocore would raise it after its own retries. Returns what was injected."""
    client = clients.dynamodb_client()
    injected: Counter[str] = Counter()
    real_update, real_transact = client.update_item, client.transact_write_items

    def item_of(key: dict[str, Any]) -> str:
        return f"{key['pk']['S']}|{key['sk']['S']}"

    def update_item(**kwargs: Any) -> Any:
        values = kwargs.get("ExpressionAttributeValues", {})
        if (
            ":running" in values
            and ":pending" in values
            and "claim:" + item_of(kwargs["Key"]) not in injected
        ):
            injected["claim:" + item_of(kwargs["Key"])] += 1
            raise client_error("UpdateItem", "ProvisionedThroughputExceededException")
        return real_update(**kwargs)

    def transact_write_items(**kwargs: Any) -> Any:
        for action in kwargs["TransactItems"]:
            update = action.get("Update", {})
            if ":result" in update.get("ExpressionAttributeValues", {}):
                key = "finish:" + item_of(update["Key"])
                if key not in injected:
                    injected[key] += 1
                    raise client_error("TransactWriteItems", "ProvisionedThroughputExceededException")
        return real_transact(**kwargs)

    monkeypatch.setattr(client, "update_item", update_item)
    monkeypatch.setattr(client, "transact_write_items", transact_write_items)
    return injected


def test_throughput_errors_are_retried_by_step_functions_without_losing_or_rebilling(
    stack: Stack, expense: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN six receipts, one Textract answer per receipt and no more, and DynamoDB refusing the first
    # claim and the first result write of every item
    stubber = stub_textract(expense, responses=ITEMS)
    injected = _fail_first_write_per_item(monkeypatch)
    drop_folder(stack, "busy", {f"r{n}.jpg": receipt_jpeg(n) for n in range(1, ITEMS + 1)})

    # WHEN the batch runs
    started, _ = start_from_inbox(stack, "conn-busy")
    execution = stack.wait(started["execution"], timeout=300)

    # THEN every item was refused twice, retried by name, and still recorded once with its receipt
    assert execution["status"] == "SUCCEEDED", execution
    assert sum(k.startswith("claim:") for k in injected) == ITEMS
    assert sum(k.startswith("finish:") for k in injected) == ITEMS
    errors = Counter(i.error_type for i in stack.invocations if i.function == "ScanImageFunction")
    assert errors["StoreUnavailableError"] == 2 * ITEMS and errors[None] == ITEMS
    assert not [i for i in stack.invocations if i.function == "RecordFailureFunction"]
    stubber.assert_no_pending_responses()  # Textract called exactly once per image: retries hit the cache
    store = DynamoBatchStore(stack.table)
    batch = store.get_batch(TENANT, started["batch_id"])
    assert batch.status is BatchStatus.SUCCEEDED
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.failed) == (ITEMS, ITEMS, 0)
    items = store.list_items(started["batch_id"])
    assert all(i.status is ItemStatus.SUCCEEDED and i.result and i.result.receipt for i in items)


def _meet_at_the_result_write(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    """Make the two deliveries of each item reach ``finish_item`` together (a barrier of two), so both
    have scanned and both try the conditional write. Returns item id → what each write returned."""
    real_finish = DynamoBatchStore.finish_item
    guard = threading.Lock()
    barriers: dict[str, threading.Barrier] = {}
    outcomes: dict[str, list[bool]] = {}

    def finish_item(self: DynamoBatchStore, batch_id: str, item_id: str, result: Any) -> bool:
        with guard:
            barrier = barriers.setdefault(item_id, threading.Barrier(2, timeout=30))
        barrier.wait()
        recorded = real_finish(self, batch_id, item_id, result)
        with guard:
            outcomes.setdefault(item_id, []).append(recorded)
        return recorded

    monkeypatch.setattr(DynamoBatchStore, "finish_item", finish_item)
    return outcomes


def test_a_duplicate_delivery_racing_each_scan_records_the_result_once(
    stack: Stack, expense: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a running batch of six uploaded receipts (the harness runs a state-machine Lambda while holding
    # its request lock, so the two deliveries are made here, from two threads, through the real handler)
    store = DynamoBatchStore(stack.table)
    batch_id = "race-batch"
    store.create_batch(Batch(batch_id=batch_id, tenant_id=TENANT, status=BatchStatus.RUNNING))
    items = []
    for n in range(1, ITEMS + 1):
        key = f"uploads/{TENANT}/{batch_id}/{n:05d}"
        stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=receipt_jpeg(60 + n))
        items.append(BatchItem(batch_id=batch_id, item_id=f"{n:05d}", source=f"r{n}.jpg", blob_key=key))
    store.add_items(items)
    stub_textract(expense, responses=2 * ITEMS)  # both deliveries scan before either writes
    writes = _meet_at_the_result_write(monkeypatch)
    scan = handler_for("ScanImageFunction")
    outcomes: list[dict[str, Any]] = []

    def deliver(item_id: str) -> None:
        event = {"batch_id": batch_id, "tenant_id": TENANT, "item_id": item_id}
        outcomes.append(scan(event, lambda_context("ScanImageFunction")))

    # WHEN every item is delivered twice at the same time
    threads = [threading.Thread(target=deliver, args=(i.item_id,)) for i in items for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    # THEN both deliveries of every item reached the conditional write and exactly one of them won
    assert len(writes) == ITEMS and all(sorted(w) == [False, True] for w in writes.values()), writes
    assert len(outcomes) == 2 * ITEMS  # neither delivery failed: the loser skips
    assert sorted(o["item_id"] for o in outcomes if o["recorded"]) == [i.item_id for i in items]
    # AND the counters counted each item once
    batch = store.get_batch(TENANT, batch_id)
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.failed) == (ITEMS, ITEMS, 0)
    assert all(
        i.status is ItemStatus.SUCCEEDED and i.result and i.result.receipt for i in store.list_items(batch_id)
    )
