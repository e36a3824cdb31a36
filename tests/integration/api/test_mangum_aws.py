"""The same app under Mangum with API Gateway HTTP API v2 events (files in ``events/``), wired to AWS:
DynamoDB and S3 from the template's own definitions and Step Functions, all under moto ``mock_aws``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
import requests
from moto import mock_aws
from receiptflow.adapters.aws.clients import clear_clients
from receiptflow.settings import get_settings

from tests.support.events import lambda_context
from tests.support.lambda_events import api_event, body, function_module
from tests.support.template import create_buckets_from_template, create_tables_from_template

REGION = "us-east-1"
PASS_DEFINITION = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}})

Invoke = Callable[..., dict[str, Any]]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """Call the ApiFunction handler with a named event under moto (tables and bucket from template.yaml)."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "Receiptflow",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        tables = create_tables_from_template(boto3.client("dynamodb", region_name=REGION))
        buckets = create_buckets_from_template(boto3.client("s3", region_name=REGION))
        machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="BatchStateMachine", definition=PASS_DEFINITION, roleArn="arn:aws:iam::123456789012:role/sfn"
        )["stateMachineArn"]
        monkeypatch.setenv("RECEIPTFLOW_TABLE_NAME", tables["ReceiptflowTable"])
        monkeypatch.setenv("RECEIPTFLOW_BUCKET_NAME", buckets["ReceiptsBucket"])
        monkeypatch.setenv("RECEIPTFLOW_STATE_MACHINE_ARN", machine)
        get_settings.cache_clear()
        clear_clients()
        module = function_module()
        module.asgi_handler.cache_clear()

        def call(name: str, **values: str) -> dict[str, Any]:
            response: dict[str, Any] = module.handler(
                api_event(name, **values), lambda_context("ApiFunction")
            )
            return response

        yield call
        module.asgi_handler.cache_clear()
        get_settings.cache_clear()
        clear_clients()


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_batch_lifecycle_through_lambda(invoke: Invoke) -> None:
    assert invoke("health")["statusCode"] == 200

    # GIVEN the mobile app creates a batch of two files: it gets one presigned S3 POST per file
    created = invoke("create_batch")
    assert created["statusCode"] == 201, created["body"]
    batch = body(created)["batch"]
    batch_id = batch["batch_id"]
    assert batch["tenant_id"] == "alpha" and batch["counts"]["total"] == 2
    uploads = body(created)["uploads"]
    assert [u["key"] for u in uploads] == [
        f"uploads/alpha/{batch_id}/00001",
        f"uploads/alpha/{batch_id}/00002",
    ]
    assert [u["source"] for u in uploads] == ["lunch.jpg", "taxi.png"]
    first = uploads[0]
    assert first["fields"]["key"] == first["key"] and first["fields"]["Content-Type"] == "image/jpeg"
    policy = json.loads(base64.b64decode(first["fields"]["policy"]))
    ranges = [c for c in policy["conditions"] if isinstance(c, list) and c[0] == "content-length-range"]
    assert [r[2] for r in ranges] == [get_settings().max_file_bytes]

    # WHEN only the first file is uploaded (the form the API returned, posted to moto's S3; moto
    # intercepts ``requests``, not httpx)
    form = requests.post(
        first["url"], data=first["fields"], files={"file": ("lunch.jpg", b"\xff\xd8jpeg", "image/jpeg")}
    )
    assert form.status_code in (200, 204), form.text
    assert (
        boto3.client("s3", region_name=REGION).head_object(
            Bucket=get_settings().bucket_name, Key=first["key"]
        )["ContentLength"]
        == 6
    )

    # THEN another tenant sees nothing, and the owner's start runs a Step Functions execution
    for name in ("get_batch_other_tenant", "start_batch_other_tenant", "cancel_batch_other_tenant"):
        other = invoke(name, batch_id=batch_id)
        assert other["statusCode"] == 404 and body(other)["code"] == "not_found"
        assert other["headers"]["content-type"] == "application/problem+json"
    started = invoke("start_batch", batch_id=batch_id)
    assert started["statusCode"] == 202, started["body"]
    assert body(started)["status"] == "running" and body(started)["execution_arn"]
    executions = boto3.client("stepfunctions", region_name=REGION).list_executions(
        stateMachineArn=get_settings().state_machine_arn
    )["executions"]
    assert [e["executionArn"] for e in executions] == [body(started)["execution_arn"]]

    # AND the file never uploaded is a typed error row, not a silent gap
    results = body(invoke("get_results", batch_id=batch_id))["items"]
    assert [(i["source"], i["status"]) for i in results] == [("lunch.jpg", "pending"), ("taxi.png", "failed")]
    assert results[1]["result"]["error"]["code"] == "file_unreadable"
    csv_response = invoke("get_results_csv", batch_id=batch_id)
    assert csv_response["headers"]["content-type"].startswith("text/csv")
    assert "taxi.png,error,file_unreadable" in csv_response["body"]

    # AND cancelling stops the execution and keeps what finished
    cancelled = invoke("cancel_batch", batch_id=batch_id)
    assert cancelled["statusCode"] == 202, cancelled["body"]
    assert body(cancelled)["status"] == "cancelled"
    assert body(cancelled)["counts"] == {"total": 2, "succeeded": 0, "failed": 1, "cancelled": 1, "cached": 0}
    assert body(invoke("get_batch", batch_id=batch_id))["status"] == "cancelled"


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_requests_without_jwt_claims_are_refused(invoke: Invoke) -> None:
    refused = invoke("list_batches_without_token")
    assert refused["statusCode"] == 401
    assert body(refused)["code"] == "unauthorized"
