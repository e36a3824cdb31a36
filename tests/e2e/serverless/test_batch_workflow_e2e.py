"""End to end, offline: S3 drop folder → ingest → the real ``batch.asl.json`` executed by moto → the real
Scan Image / Record Failure / Finalize handlers → DynamoDB, S3 exports, WebSocket messages,
EventBridge ``BatchCompleted``. Textract is a ``Stubber`` answering with a recorded AnalyzeExpense
response."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.models import BatchStatus, ItemStatus
from receiptflow.wiring.aws import batch_service

from tests.support.events import lambda_context, load_event
from tests.support.jpegs import corrupt_jpeg, receipt_jpeg
from tests.support.serverless_stack import Invocation, Stack, serverless_stack
from tests.support.textract import MEGA_MARKET, add_error, analyze_expense_output, load_fixture
from tests.support.tokens import serve_jwks, token

pytestmark = pytest.mark.e2e

TENANT = "tenant-a"


@pytest.fixture
def expense_response(shared_dir: Path) -> dict[str, Any]:
    """The recorded MEGA MARKET PLUS AnalyzeExpense response."""
    return load_fixture(shared_dir, MEGA_MARKET)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The moto stack with Textract as the provider and JWKS served locally."""
    serve_jwks(monkeypatch)
    with serverless_stack(monkeypatch, tmp_path, provider="textract", max_concurrency=2) as stack:
        yield stack


def stub_textract(raw: dict[str, Any], responses: int, *, throttle_first: bool = False) -> Stubber:
    """Queue AnalyzeExpense answers on the process's Textract client (where the real call would go)."""
    client = clients.textract_client()
    stubber = Stubber(client)
    if throttle_first:
        add_error(stubber, "ThrottlingException")
    for _ in range(responses):
        stubber.add_response("analyze_expense", analyze_expense_output(client, raw))
    stubber.activate()
    return stubber


def drop_folder(stack: Stack, folder: str, files: dict[str, bytes]) -> None:
    """Upload the files, then the ``_READY`` marker that closes the folder."""
    for name, data in files.items():
        stack.drop(f"inbox/{TENANT}/{folder}/{name}", data)
    stack.drop(f"inbox/{TENANT}/{folder}/_READY", b"")


def ingest(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the ingest handler on each event, as EventBridge would."""
    from ingest.app import handler

    return [handler(event, lambda_context("IngestFunction")) for event in events]


def ws_call(name: str, connection_id: str, **body: Any) -> dict[str, Any]:
    """Invoke the realtime handler with a WebSocket event fixture."""
    from realtime.app import handler

    event = load_event(name)
    event["requestContext"]["connectionId"] = connection_id
    if name == "ws_connect":
        event["queryStringParameters"] = {"token": token(TENANT)}
    if body:
        event["body"] = json.dumps(body)
    result: dict[str, Any] = handler(event, lambda_context("RealtimeFunction"))
    return result


def subscribe(connection_id: str, batch_id: str) -> None:
    """Connect with a JWT and subscribe to ``batch_id``."""
    assert ws_call("ws_connect", connection_id)["statusCode"] == 200
    assert ws_call("ws_subscribe", connection_id, action="subscribe", batch_id=batch_id)["statusCode"] == 200


def start_from_inbox(stack: Stack, connection_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Ingest the queued events (returned too); subscribe before the workflow takes its first step."""
    with stack.lock:  # the execution's first AWS call waits until the socket is subscribed
        events = stack.inbox_events()
        outcomes = ingest(events)
        started = [outcome for outcome in outcomes if outcome["result"] == "started"]
        assert len(started) == 1, outcomes
        assert all(o["result"] == "waiting" for o in outcomes if o is not started[0])  # timers set
        subscribe(connection_id, started[0]["batch_id"])
    return started[0], events


def test_drop_folder_batch_with_a_corrupt_image_and_a_throttle(
    stack: Stack, expense_response: dict[str, Any]
) -> None:
    # GIVEN four receipts and one corrupt image dropped into a folder, then the _READY marker,
    # and Textract throttling the first call
    files = {f"r{n}.jpg": receipt_jpeg(n) for n in range(1, 5)} | {"broken.jpg": corrupt_jpeg()}
    stubber = stub_textract(expense_response, responses=4, throttle_first=True)
    drop_folder(stack, "trip", files)

    # WHEN the bucket's events reach ingest and the execution runs
    started, events = start_from_inbox(stack, "conn-1")
    assert len(events) == 6  # five files and the marker matched the template's rule
    execution = stack.wait(started["execution"])

    # THEN the execution succeeds and the batch is partially failed
    assert execution["status"] == "SUCCEEDED", execution
    output = json.loads(execution["output"])
    assert output["status"] == "partially_failed"
    stubber.assert_no_pending_responses()

    batch_id = started["batch_id"]
    store = DynamoBatchStore(stack.table)
    batch = store.get_batch(TENANT, batch_id)
    assert batch.status is BatchStatus.PARTIALLY_FAILED
    assert (batch.counts.total, batch.counts.succeeded, batch.counts.failed) == (5, 4, 1)
    items = store.list_items(batch_id)
    results = [i for i in items if i.status is ItemStatus.SUCCEEDED]
    failures = [i for i in items if i.status is ItemStatus.FAILED]
    assert len(results) == 4 and all(i.result and i.result.receipt for i in results)
    assert [(i.source, i.result.error.code if i.result and i.result.error else None) for i in failures] == [
        ("broken.jpg", "corrupt_image")
    ]

    # the throttle reached Step Functions under its own name and was retried after a back-off
    scan_errors = [
        i.error_type for i in stack.invocations if i.function == "ScanImageFunction" and i.error_type
    ]
    assert scan_errors.count("ProviderThrottledError") == 1
    assert scan_errors.count("CorruptImageError") == 1
    assert len(stack.sleeps) == 1
    recorded = [i.event["error"]["Error"] for i in stack.invocations if i.function == "RecordFailureFunction"]
    assert recorded == ["CorruptImageError"]

    # WebSocket: the snapshot (it covers the start's progress, numbered before the subscription), then
    # each item's result or error followed by progress, complete last, in sequence order
    messages = stack.socket_messages("conn-1")
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "snapshot" and messages[0]["seq"] == 1 and kinds[-1] == "complete"
    assert kinds[1:-1] == [k for m in messages[1:-1:2] for k in (m["type"], "progress")]
    assert kinds.count("result") == 4 and kinds.count("error") == 1
    seqs = [m["seq"] for m in messages[1:]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    error = next(m for m in messages if m["type"] == "error")
    assert (error["source"], error["code"]) == ("broken.jpg", "corrupt_image")
    assert messages[-1]["status"] == "partially_failed"
    assert messages[-1]["counts"]["succeeded"] == 4
    result = next(m for m in messages if m["type"] == "result")
    assert result["vendor"] == "MEGA MARKET PLUS"

    # summary JSON + CSV in S3
    prefix = f"results/{TENANT}/{batch_id}/"
    body = stack.s3.get_object(Bucket=stack.bucket, Key=prefix + "results.csv")["Body"].read().decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert sorted(row["source"] for row in rows) == sorted(files)
    summary = json.loads(stack.s3.get_object(Bucket=stack.bucket, Key=prefix + "summary.json")["Body"].read())
    assert summary["batch"]["status"] == "partially_failed"
    assert [e["code"] for e in summary["errors"]] == ["corrupt_image"]

    # EventBridge BatchCompleted
    notices = stack.completion_notices()
    assert [(n["detail-type"], n["detail"]["batch_id"], n["detail"]["status"]) for n in notices] == [
        ("BatchCompleted", batch_id, "partially_failed")
    ]

    # AND a redelivered marker event starts nothing new
    marker = next(e for e in events if e["detail"]["object"]["key"].endswith("/_READY"))
    again = ingest([marker])
    assert again[0]["result"] == "already_started" and again[0]["batch_id"] == batch_id
    assert len(stack.executions()) == 1


def test_cancel_keeps_finished_results(stack: Stack, expense_response: dict[str, Any]) -> None:
    # GIVEN a three-image folder whose workflow pauses before its second scan
    stub_textract(expense_response, responses=3)
    drop_folder(stack, "cancel-me", {f"c{n}.jpg": receipt_jpeg(10 + n) for n in range(1, 4)})
    first_done, paused, resume = threading.Event(), threading.Event(), threading.Event()
    scans_begun: list[str] = []

    def pause_before_second_scan(parameters: dict[str, Any]) -> None:
        if str(parameters.get("FunctionName", "")).endswith("ScanImageFunction"):
            scans_begun.append(str(parameters["FunctionName"]))
            if len(scans_begun) > 1:
                assert first_done.wait(30), "the first scan never finished"
                paused.set()
                assert resume.wait(30), "the test never resumed the workflow"

    def note_first_scan(invocation: Invocation) -> None:
        if invocation.function == "ScanImageFunction":
            first_done.set()

    stack.before_invoke.append(pause_before_second_scan)
    stack.after_invoke.append(note_first_scan)
    started, _ = start_from_inbox(stack, "conn-2")

    # WHEN the user cancels mid-batch (the API's DELETE calls the orchestrator)
    assert paused.wait(60), "the workflow never reached its second scan"
    store = DynamoBatchStore(stack.table)
    batch_service().cancel(store.get_batch(TENANT, started["batch_id"]))
    resume.set()
    execution = stack.wait(started["execution"])

    # THEN the execution was stopped (AWS reports ABORTED; moto 5.2.5 reports a stop inside a Map with a
    # Catch as FAILED), the finished result stays and the rest is cancelled
    assert execution["status"] in {"ABORTED", "FAILED"}
    assert "stopDate" in execution
    batch = store.get_batch(TENANT, started["batch_id"])
    assert batch.status is BatchStatus.CANCELLED
    statuses = sorted(item.status.value for item in store.list_items(batch.batch_id))
    assert statuses == ["cancelled", "cancelled", "succeeded"]
    assert (batch.counts.succeeded, batch.counts.cancelled) == (1, 2)
    messages = stack.socket_messages("conn-2")
    assert messages[-1]["type"] == "complete" and messages[-1]["status"] == "cancelled"
    assert [m["type"] for m in messages].count("result") == 1


def test_retry_failed_scans_only_the_failed_items(stack: Stack, expense_response: dict[str, Any]) -> None:
    # GIVEN a finished batch with one corrupt image
    stub_textract(expense_response, responses=3)
    drop_folder(
        stack, "retry", {"a.jpg": receipt_jpeg(21), "b.jpg": receipt_jpeg(22), "bad.jpg": corrupt_jpeg()}
    )
    started, _ = start_from_inbox(stack, "conn-3")
    assert stack.wait(started["execution"])["status"] == "SUCCEEDED"
    store = DynamoBatchStore(stack.table)
    batch = store.get_batch(TENANT, started["batch_id"])
    assert batch.status is BatchStatus.PARTIALLY_FAILED

    # WHEN the file is uploaded again, fixed, and the failed items are retried
    stack.drop(f"inbox/{TENANT}/retry/bad.jpg", receipt_jpeg(23))
    first_run = len(stack.invocations)
    execution_arn = batch_service().retry_failed(batch).execution_arn
    assert execution_arn is not None
    execution = stack.wait(execution_arn)

    # THEN a second execution scanned only that item and the batch succeeded
    assert execution["status"] == "SUCCEEDED"
    assert len(stack.executions()) == 2
    retried = [i.event["item_id"] for i in stack.invocations[first_run:] if i.function == "ScanImageFunction"]
    failed_item = next(i for i in store.list_items(batch.batch_id) if i.source == "bad.jpg")
    assert retried == [failed_item.item_id]
    batch = store.get_batch(TENANT, batch.batch_id)
    assert batch.status is BatchStatus.SUCCEEDED
    assert (batch.counts.succeeded, batch.counts.failed) == (3, 0)


def test_items_travel_by_reference_through_the_distributed_map(
    stack: Stack, expense_response: dict[str, Any]
) -> None:
    # GIVEN a three-image folder
    stub_textract(expense_response, responses=3)
    drop_folder(stack, "big", {f"d{n}.jpg": receipt_jpeg(30 + n) for n in range(1, 4)})

    # WHEN it runs
    started, _ = start_from_inbox(stack, "conn-4")
    execution = stack.wait(started["execution"])

    # THEN the items travelled by reference (manifest in S3) and all were scanned
    assert execution["status"] == "SUCCEEDED", execution
    payload = json.loads(execution["input"])
    assert "items" not in payload and payload["item_count"] == 3
    manifest = stack.s3.get_object(Bucket=payload["manifest"]["bucket"], Key=payload["manifest"]["key"])
    assert [entry["item_id"] for entry in json.loads(manifest["Body"].read())] == [
        "00001",
        "00002",
        "00003",
    ]
    batch = DynamoBatchStore(stack.table).get_batch(TENANT, started["batch_id"])
    assert (batch.status, batch.counts.succeeded) == (BatchStatus.SUCCEEDED, 3)


def test_execution_payloads_do_not_grow_with_the_batch() -> None:
    # GIVEN the P6 bench helper (real orchestrator, state machine and handlers under moto)
    from bench.sfn_scale import run_batch

    # WHEN two large batches of different sizes run through the Distributed Map
    small, large = run_batch(45), run_batch(90)

    # THEN both succeed and their execution input/output are the same size
    assert (small.status, small.succeeded, large.status, large.succeeded) == (
        "succeeded",
        45,
        "succeeded",
        90,
    )
    assert large.input_bytes == small.input_bytes < 400
    assert large.output_bytes == small.output_bytes


def test_a_folder_without_marker_runs_after_the_quiet_period(
    stack: Stack, expense_response: dict[str, Any]
) -> None:
    # GIVEN two receipts dropped into a folder and no marker (the template's default QuietSeconds)
    stub_textract(expense_response, responses=2)
    for name, seed in (("a.jpg", 31), ("b.jpg", 32)):
        stack.drop(f"inbox/{TENANT}/no-marker/{name}", receipt_jpeg(seed))
    assert [o["result"] for o in stack.ingest_inbox()] == ["waiting", "waiting"]
    assert stack.executions() == []

    # WHEN the quiet period passes (SQS's clock) and the timer queue delivers to the ingest function
    started = [o for o in stack.quiet_period_passes() if o["result"] == "started"]

    # THEN one batch of both files ran through the real state machine and succeeded
    assert len(started) == 1
    assert stack.wait(started[0]["execution"])["status"] == "SUCCEEDED"
    batch = DynamoBatchStore(stack.table).get_batch(TENANT, started[0]["batch_id"])
    assert batch.status is BatchStatus.SUCCEEDED and batch.counts.succeeded == 2


def test_a_batch_with_a_webhook_url_gets_its_signed_post_in_aws(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, expense_response: dict[str, Any]
) -> None:
    import boto3
    from receiptflow.models import Batch, BatchItem, BatchOptions
    from receiptflow.webhooks import SIGNATURE_HEADER, verify

    from tests.integration.webhooks.receiver import receiver

    serve_jwks(monkeypatch)
    hook_env = {"RECEIPTFLOW_WEBHOOK_SECRET_NAME": "receiptflow-webhooks"}
    with (
        serverless_stack(monkeypatch, tmp_path, provider="textract", extra_env=hook_env) as stack,
        receiver([503, 200]) as hook,
    ):
        # GIVEN the signing secret in Secrets Manager and a batch created with a webhook_url
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="receiptflow-webhooks", SecretString=json.dumps({"webhook_secret": "whsec-e2e"})
        )
        stub_textract(expense_response, responses=2)  # one receipt per batch
        service = batch_service()
        options = BatchOptions(webhook_url=hook.url)
        batch = service.create(Batch(batch_id="hooked", tenant_id=TENANT, name="hooked", options=options))
        key = f"uploads/{TENANT}/hooked/1"
        stack.s3.put_object(Bucket=stack.bucket, Key=key, Body=receipt_jpeg(41))
        service.add_items(
            batch, [BatchItem(batch_id="hooked", item_id="00001", source="a.jpg", blob_key=key)]
        )
        # and a drop-folder batch without one
        drop_folder(stack, "plain", {"p.jpg": receipt_jpeg(42)})
        plain = next(o for o in stack.ingest_inbox() if o["result"] == "started")

        # WHEN both run to the end
        started = service.start(service.get(TENANT, "hooked"))
        assert started.execution_arn is not None
        assert stack.wait(started.execution_arn)["status"] == "SUCCEEDED"
        assert stack.wait(plain["execution"])["status"] == "SUCCEEDED"

        # THEN the template's webhook rule matched only the batch with a webhook_url, and the webhook
        # function delivered its signed batch.completed (after one 503), verifiable with the secret
        events = stack.webhook_events()
        assert [e["detail"]["batch_id"] for e in events] == ["hooked"]
        from webhook.app import handler

        answer = handler(events[0], lambda_context("WebhookFunction"))
    assert answer["delivered"] and answer["attempts"] == 2, answer
    sent = hook.requests[-1]
    assert verify("whsec-e2e", sent.headers[SIGNATURE_HEADER], sent.body)
    body = json.loads(sent.body)
    assert body["batch_id"] == "hooked" and body["status"] == "succeeded"
