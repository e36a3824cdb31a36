"""A batch execution that ends outside the API never leaves its batch ``running``: the real Run Ended
handler under moto, called with a real-shaped "Execution Status Change" event (moto emits none) after the
execution was really stopped (``ABORTED``), or for the ends moto cannot cause on demand (``FAILED``,
``TIMED_OUT``). Each scenario also delivers the event twice, and races it with the API's cancel."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from botocore.stub import Stubber
from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchStatus, ItemStatus
from receiptflow.wiring.aws import batch_service, connection_store

from tests.support.events import lambda_context
from tests.support.jpegs import receipt_jpeg
from tests.support.serverless_stack import Stack, rule_pattern, serverless_stack
from tests.support.sfn_events import execution_status_change
from tests.support.textract import MEGA_MARKET, analyze_expense_output, load_fixture

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")

TENANT = "tenant-r"
WATCHER = "watcher-1"


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The stack with executions started but not run, so the test decides how each one ends."""
    with serverless_stack(monkeypatch, tmp_path, execute=False) as stack:
        yield stack


def started_batch(stack: Stack, folder: str, files: int = 3) -> Batch:
    """A drop-folder batch of ``files`` images, started (its execution RUNNING) and watched on a socket."""
    for n in range(files):
        stack.drop(f"inbox/{TENANT}/{folder}/r{n}.jpg", receipt_jpeg(n + 1))
    stack.drop(f"inbox/{TENANT}/{folder}/_READY", b"")
    started = next(o for o in stack.ingest_inbox() if o["result"] == "started")
    connection_store().connect(WATCHER, TENANT)
    assert connection_store().subscribe(WATCHER, started["batch_id"])
    return batch_service().get(TENANT, started["batch_id"])


def run_ended(event: dict[str, Any]) -> dict[str, Any]:
    """The Run Ended function's real handler."""
    from run_ended.app import handler

    answer: dict[str, Any] = handler(event, lambda_context("RunEndedFunction"))
    return answer


def ended_event(stack: Stack, batch: Batch, status: str | None = None, **extra: str) -> dict[str, Any]:
    """The status-change event of the batch's execution as it is now."""
    assert batch.execution_arn is not None
    described = stack.sfn.describe_execution(executionArn=batch.execution_arn)
    return execution_status_change(described, status, **extra)


def completes(stack: Stack) -> list[str]:
    """The ``complete`` events the watcher received (their status)."""
    return [m["status"] for m in stack.socket_messages(WATCHER) if m["type"] == "complete"]


def scan_in_flight_item(stack: Stack, batch: Batch, item_id: str, shared_dir: Path) -> dict[str, Any]:
    """The Scan Image Lambda that was already running for ``item_id`` finishes (Textract stubbed)."""
    from scan_image.app import handler

    client = clients.textract_client()
    stubber = Stubber(client)
    stubber.add_response(
        "analyze_expense", analyze_expense_output(client, load_fixture(shared_dir, MEGA_MARKET))
    )
    stubber.activate()
    event = {"batch_id": batch.batch_id, "tenant_id": TENANT, "item_id": item_id}
    answer: dict[str, Any] = handler(event, lambda_context("ScanImageFunction"))
    return answer


def test_the_template_rule_matches_the_ends_of_this_state_machine_only(stack: Stack) -> None:
    batch = started_batch(stack, "rule")
    stack.sfn.stop_execution(executionArn=batch.execution_arn)
    from moto.events.models import EventPattern  # the matcher moto's EventBridge routes events with

    references = {"BatchStateMachine": stack.state_machine_arn}
    pattern = EventPattern.load(json.dumps(rule_pattern("RunEndedFunction", "ExecutionEnded", references)))

    def matches(event: dict[str, Any]) -> bool:
        matched: bool = pattern.matches_event(cast(Any, event))
        return matched

    aborted = ended_event(stack, batch)
    assert matches(aborted)
    assert matches(ended_event(stack, batch, "FAILED")) and matches(ended_event(stack, batch, "TIMED_OUT"))
    assert not matches(ended_event(stack, batch, "SUCCEEDED"))  # Finalize closed it: nothing to do
    other = {
        **aborted,
        "detail": {**aborted["detail"], "stateMachineArn": stack.state_machine_arn + "-other"},
    }
    assert not matches(other)


def test_an_execution_stopped_outside_the_api_cancels_its_batch_once(stack: Stack) -> None:
    # GIVEN a started batch whose execution someone stops in the console (nothing is in flight)
    batch = started_batch(stack, "console-stop")
    stack.sfn.stop_execution(executionArn=batch.execution_arn, error="Manual", cause="stopped in the console")
    event = ended_event(stack, batch)
    assert event["detail"]["status"] == "ABORTED"

    # WHEN EventBridge delivers the status change, twice
    first, second = run_ended(event), run_ended(event)

    # THEN the batch is cancelled with every item cancelled, announced once
    assert first == second == {"batch_id": batch.batch_id, "status": "cancelled"}
    store = DynamoBatchStore(stack.table)
    assert {i.status for i in store.list_items(batch.batch_id)} == {ItemStatus.CANCELLED}
    assert completes(stack) == ["cancelled"]
    notices = stack.completion_notices()
    assert [(n["detail"]["batch_id"], n["detail"]["status"]) for n in notices] == [
        (batch.batch_id, "cancelled")
    ]


def test_an_item_in_flight_when_the_execution_was_stopped_keeps_its_result(
    stack: Stack, shared_dir: Path
) -> None:
    # GIVEN a batch whose first item a Lambda is scanning when the execution is stopped outside the API
    batch = started_batch(stack, "in-flight")
    assert DynamoBatchStore(stack.table).claim_item(batch.batch_id, "00001")
    stack.sfn.stop_execution(executionArn=batch.execution_arn)

    # WHEN the status change arrives: the batch is cancelling, the others cancelled, nothing announced yet
    assert run_ended(ended_event(stack, batch))["status"] == "cancelling"
    assert completes(stack) == []

    # AND the scan in flight finishes: it records its result and settles the batch
    assert scan_in_flight_item(stack, batch, "00001", shared_dir)["recorded"]
    done = batch_service().get(TENANT, batch.batch_id)
    assert (done.status, done.counts.succeeded, done.counts.cancelled) == (BatchStatus.CANCELLED, 1, 2)
    assert completes(stack) == ["cancelled"]

    # AND a late repeat of the event changes nothing
    assert run_ended(ended_event(stack, batch))["status"] == "cancelled"
    assert completes(stack) == ["cancelled"]


def test_the_api_cancel_and_the_status_change_land_on_one_cancel_in_either_order(
    stack: Stack, shared_dir: Path
) -> None:
    # API first: DELETE stops the execution (ABORTED), then its status change arrives
    api_first = started_batch(stack, "api-first")
    assert DynamoBatchStore(stack.table).claim_item(api_first.batch_id, "00001")
    assert batch_service().cancel(api_first).status is BatchStatus.CANCELLING
    assert stack.sfn.describe_execution(executionArn=api_first.execution_arn)["status"] == "ABORTED"
    assert run_ended(ended_event(stack, api_first))["status"] == "cancelling"
    scan_in_flight_item(stack, api_first, "00001", shared_dir)
    assert batch_service().get(TENANT, api_first.batch_id).status is BatchStatus.CANCELLED
    assert completes(stack) == ["cancelled"]


def test_a_status_change_racing_the_api_cancel_is_one_cancel(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a batch with an item in flight whose execution was stopped in the console; the user presses
    # cancel in the API just as the status change is being handled (between its read and its move)
    batch = started_batch(stack, "race")
    store = DynamoBatchStore(stack.table)
    assert store.claim_item(batch.batch_id, "00001")
    stack.sfn.stop_execution(executionArn=batch.execution_arn)
    event = ended_event(stack, batch)
    original = DynamoBatchStore.set_batch_status
    raced: list[BatchStatus] = []
    entered: list[bool] = []  # set before the API's cancel runs: its own move must not race again

    def api_cancel_first(self: DynamoBatchStore, batch_id: str, status: BatchStatus, **kwargs: Any) -> Batch:
        if not entered and status is BatchStatus.CANCELLING:
            entered.append(True)
            raced.append(batch_service().cancel(batch_service().get(TENANT, batch_id)).status)
        return original(self, batch_id, status, **kwargs)

    monkeypatch.setattr(DynamoBatchStore, "set_batch_status", api_cancel_first)

    # WHEN the handler runs (its move loses to the API's)
    answer = run_ended(event)

    # THEN both saw one cancel: no error, the batch is cancelling, one progress for it, nothing settled
    assert raced == [BatchStatus.CANCELLING] and answer["status"] == "cancelling"
    assert [m["type"] for m in stack.socket_messages(WATCHER)].count("progress") == 1
    assert completes(stack) == []
    # AND the user cancelling again meanwhile is fine, not a 409
    assert (
        batch_service().cancel(batch_service().get(TENANT, batch.batch_id)).status is BatchStatus.CANCELLING
    )


@pytest.mark.parametrize(("status", "said"), [("FAILED", "failed"), ("TIMED_OUT", "timed out")])
def test_a_failed_or_timed_out_execution_ends_its_batch_with_typed_errors(
    stack: Stack, shared_dir: Path, status: str, said: str
) -> None:
    # GIVEN a batch whose first item was scanned, then whose execution failed (Finalize kept failing, a
    # runtime error) or timed out, leaving two items never scanned
    batch = started_batch(stack, f"ended-{status.lower()}")
    assert DynamoBatchStore(stack.table).claim_item(batch.batch_id, "00001")
    assert scan_in_flight_item(stack, batch, "00001", shared_dir)["recorded"]
    event = ended_event(stack, batch, status, error="States.Runtime", cause="Finalize kept failing")

    # WHEN the status change arrives, twice
    first, second = run_ended(event), run_ended(event)

    # THEN the batch reached its final status once: the scanned item kept its result, the others are
    # retryable typed errors saying why, one complete event, the exports and BatchCompleted
    assert first == second == {"batch_id": batch.batch_id, "status": "partially_failed"}
    items = {i.item_id: i for i in DynamoBatchStore(stack.table).list_items(batch.batch_id)}
    assert items["00001"].status is ItemStatus.SUCCEEDED
    for item_id in ("00002", "00003"):
        error = items[item_id].result.error  # type: ignore[union-attr]
        assert error is not None and (error.code, error.retryable) == ("not_processed", True)
        assert said in error.message and "States.Runtime: Finalize kept failing" in error.message
    assert completes(stack) == ["partially_failed"]
    assert [n["detail"]["status"] for n in stack.completion_notices()] == ["partially_failed"]
    summary = f"results/{TENANT}/{batch.batch_id}/summary.json"
    assert json.loads(stack.s3.get_object(Bucket=stack.bucket, Key=summary)["Body"].read())["batch"][
        "status"
    ] == ("partially_failed")
    # AND retry-failed can run the lost items again
    assert (
        batch_service().retry_failed(batch_service().get(TENANT, batch.batch_id)).status
        is BatchStatus.RUNNING
    )


def test_only_the_batch_s_current_run_counts(stack: Stack) -> None:
    # GIVEN a batch whose first run was cancelled through the API and which was then retried (new run)
    batch = started_batch(stack, "stale")
    old = ended_event(stack, batch)  # taken while the first execution still ran: its ARN is the old one
    batch_service().cancel(batch)
    retried = batch_service().retry_failed(batch_service().get(TENANT, batch.batch_id))
    assert retried.status is BatchStatus.RUNNING and retried.execution_arn != batch.execution_arn

    # WHEN the first run's end arrives late, and a Distributed Map child execution's end too
    stale = {**old, "detail": {**old["detail"], "status": "ABORTED"}}
    child_input = json.dumps({"batch_id": batch.batch_id, "tenant_id": TENANT, "item_id": "00001"})
    child = {
        **old,
        "detail": {
            **old["detail"],
            "status": "FAILED",
            "executionArn": old["detail"]["executionArn"] + "/child",
            "input": child_input,
        },
    }

    # THEN neither touches the running retry
    assert run_ended(stale)["status"] == "running" and run_ended(child)["status"] == "running"
    assert batch_service().get(TENANT, batch.batch_id).status is BatchStatus.RUNNING


def test_an_execution_that_is_not_a_batch_run_is_ignored(stack: Stack) -> None:
    batch = started_batch(stack, "foreign")
    event = ended_event(stack, batch)
    event["detail"]["input"] = json.dumps({"something": "else"})
    assert run_ended(event) == {"batch_id": None, "status": None}
    with pytest.raises(ConflictError):  # (the batch itself still runs, and can be finished normally)
        batch_service().start(batch_service().get(TENANT, batch.batch_id))
