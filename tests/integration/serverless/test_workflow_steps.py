"""The batch service's AWS steps, one by one (unit level where pure; moto where a store is needed)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.adapters.aws.sfn_dispatcher import MAX_EXECUTION_NAME, execution_name
from receiptflow.batches.ingest import IngestResult, ObjectCreated, inbox_batch_id
from receiptflow.batches.payloads import BatchRef, FailedItem, StepError
from receiptflow.batches.service import scan_error_from_step
from receiptflow.blob_keys import parse_inbox_key
from receiptflow.errors import ConflictError, InvalidRequestError
from receiptflow.models import Batch, BatchItem, BatchStatus, ItemStatus
from receiptflow.wiring.aws import batch_service, connection_store, drop_folders

from tests.support.events import lambda_context, load_event
from tests.support.serverless_stack import Stack, serverless_stack


# --- unit -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("inbox/t1/trip/a.jpg", ("t1", "trip", "a.jpg")),
        ("inbox/t1/trip/sub/b.png", ("t1", "trip", "sub/b.png")),
        ("inbox/t1/trip/_READY", ("t1", "trip", "_READY")),
        ("inbox/t1/trip/", None),
        ("inbox/t1/a.jpg", None),
        ("uploads/t1/b1/00001", None),
        ("inbox//trip/a.jpg", None),
    ],
)
def test_parse_inbox_key(key: str, expected: tuple[str, str, str] | None) -> None:
    parsed = parse_inbox_key(key)
    assert (parsed and (parsed.tenant_id, parsed.folder, parsed.name)) == expected


def test_batch_id_is_stable_per_marker_and_new_per_marker_upload() -> None:
    inbox = parse_inbox_key("inbox/t1/trip/_READY")
    assert inbox is not None
    first = ObjectCreated(bucket="b", key=inbox.folder_prefix + "_READY", etag="e", sequencer="0001")
    assert inbox_batch_id(inbox, first) == inbox_batch_id(inbox, first)
    again = ObjectCreated(bucket="b", key=first.key, etag="e", sequencer="0002")
    assert inbox_batch_id(inbox, again) != inbox_batch_id(inbox, first)


def test_execution_names_are_safe_bounded_and_deterministic() -> None:
    assert execution_name("inbox-abc", "run") == "inbox-abc-run"
    assert execution_name("a b/c:d", "run") == "a-b-c-d-run"
    long = execution_name("x" * 120, "retry-1795349761")
    assert len(long) == MAX_EXECUTION_NAME and long == execution_name("x" * 120, "retry-1795349761")
    assert long != execution_name("x" * 120, "retry-1795349762")


def test_caught_errors_map_to_their_stable_codes() -> None:
    cause = json.dumps({"errorType": "CorruptImageError", "errorMessage": "truncated JPEG"})
    corrupt = scan_error_from_step(StepError(Error="CorruptImageError", Cause=cause))
    assert (corrupt.code, corrupt.message, corrupt.retryable) == ("corrupt_image", "truncated JPEG", False)
    throttled = scan_error_from_step(StepError(Error="ProviderThrottledError", Cause="{}"))
    assert (throttled.code, throttled.retryable) == ("provider_throttled", True)
    timeout = scan_error_from_step(StepError(Error="States.Timeout", Cause="task timed out"))
    assert (timeout.code, timeout.message) == ("internal_error", "States.Timeout: task timed out")
    # the runtime stopping the scan function at its own time or memory limit: the item hit a limit
    message = "Task timed out after 120.00 seconds"
    killed = json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message})
    timed_out = scan_error_from_step(StepError(Error="Sandbox.Timedout", Cause=killed))
    assert (timed_out.code, timed_out.message) == ("resource_limit", message)
    oom = scan_error_from_step(StepError(Error="Runtime.OutOfMemory", Cause="{}"))
    assert (oom.code, oom.retryable) == ("resource_limit", False)
    not_ours = scan_error_from_step(StepError(Error="KeyError", Cause=json.dumps({"errorMessage": "'x'"})))
    assert not_ours.code == "internal_error"


# --- functional (moto) ------------------------------------------------------------------------------
@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """Tables, bucket and state machine under moto (the state machine is not run by these tests)."""
    with serverless_stack(monkeypatch, tmp_path, provider="local") as stack:
        yield stack


def _created(key: str) -> ObjectCreated:
    return ObjectCreated(bucket="b", key=key, etag="e", sequencer="00A")


def test_the_marker_starts_a_batch_at_once_and_placeholders_are_not_items(stack: Stack) -> None:
    rule = drop_folders()
    stack.drop("inbox/t1/trip/", b"")  # a console "folder"
    stack.drop("inbox/t1/trip/a.jpg", b"jpeg bytes")
    stack.drop("inbox/t1/trip/empty.jpg", b"")  # empty files are items: they fail typed, never vanish

    file_event = rule.on_object(_created("inbox/t1/trip/a.jpg"))
    assert file_event.result is IngestResult.WAITING  # it set the folder's timer
    assert stack.executions() == []

    marker = rule.on_object(_created("inbox/t1/trip/_READY"))
    assert (marker.result, marker.items) == (IngestResult.STARTED, 2)
    items = batch_service().store.list_items(marker.batch_id or "")
    assert [(i.item_id, i.source) for i in items] == [("00001", "a.jpg"), ("00002", "empty.jpg")]
    assert len(stack.executions()) == 1
    execution = stack.sfn.describe_execution(executionArn=marker.execution)
    manifest = json.loads(execution["input"])["manifest"]
    body = stack.s3.get_object(Bucket=manifest["bucket"], Key=manifest["key"])["Body"].read()
    assert json.loads(body) == [{"item_id": "00001"}, {"item_id": "00002"}]


def test_an_empty_folder_starts_nothing(stack: Stack) -> None:
    outcome = drop_folders().on_object(_created("inbox/t1/nothing/_READY"))
    assert outcome.result is IngestResult.EMPTY
    assert stack.executions() == []


def test_ingest_handler_reads_the_eventbridge_event(stack: Stack) -> None:
    from ingest.app import handler

    event = load_event("s3_object_created")  # key "inbox/tenant-a/2026-11+trip/_READY", URL-encoded
    stack.drop("inbox/tenant-a/2026-11 trip/r.jpg", b"x")
    event["detail"]["bucket"]["name"] = stack.bucket
    result = handler(event, lambda_context("IngestFunction"))
    assert (result["result"], result["items"]) == ("started", 1)
    batch = batch_service().get("tenant-a", result["batch_id"])
    assert batch.name == "2026-11 trip"


def test_record_failure_and_finalize_are_safe_to_repeat(stack: Stack) -> None:
    # GIVEN a running batch with one item
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="r-1", tenant_id="t1"))
    store.add_items([BatchItem(batch_id="r-1", item_id="00001", source="x.jpg", blob_key="inbox/t1/r/x.jpg")])
    store.set_batch_status("r-1", BatchStatus.RUNNING)
    service = batch_service()
    failed = FailedItem(
        batch_id="r-1", tenant_id="t1", item_id="00001", error=StepError(Error="EmptyFileError", Cause="{}")
    )

    # WHEN Record Failure and Finalize each run twice (Step Functions retries, redrive)
    first, second = service.record_failure(failed), service.record_failure(failed)
    done, again = (service.finalize(BatchRef(batch_id="r-1", tenant_id="t1")) for _ in range(2))

    # THEN the counts moved once and the batch closed once
    assert (first.recorded, first.code, second.recorded) == (True, "empty_file", False)
    batch = store.get_batch("t1", "r-1")
    assert (batch.counts.failed, batch.status) == (1, BatchStatus.FAILED)
    assert (done.status, again.status) == (BatchStatus.FAILED, BatchStatus.FAILED)
    assert done.summary_key is not None and again.summary_key is None
    assert store.get_item("r-1", "00001").status is ItemStatus.FAILED


def test_finalize_turns_leftover_items_into_typed_errors(stack: Stack) -> None:
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="l-1", tenant_id="t1"))
    store.add_items([BatchItem(batch_id="l-1", item_id="00001", source="lost.jpg")])
    store.set_batch_status("l-1", BatchStatus.RUNNING)
    outcome = batch_service().finalize(BatchRef(batch_id="l-1", tenant_id="t1"))
    assert outcome.status is BatchStatus.FAILED
    item = store.get_item("l-1", "00001")
    assert item.result is not None and item.result.error is not None
    assert item.result.error.code == "not_processed"


def test_retry_failed_refuses_a_batch_without_failures(stack: Stack) -> None:
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="ok-1", tenant_id="t1"))
    store.set_batch_status("ok-1", BatchStatus.SUCCEEDED)
    with pytest.raises(InvalidRequestError):
        batch_service().retry_failed(store.get_batch("t1", "ok-1"))


def test_start_twice_starts_one_execution(stack: Stack) -> None:
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="s-1", tenant_id="t1"))
    store.add_items([BatchItem(batch_id="s-1", item_id="00001", source="a.jpg", blob_key="k")])
    batch = store.get_batch("t1", "s-1")
    first = batch_service().start(batch)
    with pytest.raises(ConflictError):  # the stale copy still says "created": the store says no
        batch_service().start(batch)
    assert len(stack.executions()) == 1
    assert first.execution_arn and store.get_batch("t1", "s-1").execution_arn == first.execution_arn


def test_a_cancel_before_the_start_is_announced_to_subscribers(stack: Stack) -> None:
    # GIVEN a batch that never started and a subscribed socket
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="c-1", tenant_id="t1"))
    connection_store().connect("watcher", "t1")
    connection_store().subscribe("watcher", "c-1")

    # WHEN the batch is cancelled
    batch_service().cancel(store.get_batch("t1", "c-1"))

    # THEN it is cancelled at once (nothing was in flight) and the subscriber is told, once
    assert store.get_batch("t1", "c-1").status is BatchStatus.CANCELLED
    kinds = [(m["type"], m.get("status")) for m in stack.socket_messages("watcher")]
    assert kinds == [("progress", None), ("complete", "cancelled")]
