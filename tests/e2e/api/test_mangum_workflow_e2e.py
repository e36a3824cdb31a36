"""AWS end to end through the API: the Lambda handler (Mangum) creates a batch with presigned uploads,
the files are POSTed to S3, ``start`` launches the real ``batch.asl.json`` (executed by moto with the real
step handlers and the local OCR provider), and the results, CSV and tenancy are read back through the
handler. Everything AWS is moto (``tests/support/serverless_stack.py``)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.events import lambda_context
from tests.support.lambda_events import api_event, body, function_module
from tests.support.legible_receipts import corrupt_jpeg, render_receipt
from tests.support.serverless_stack import Stack, serverless_stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The moto stack with the offline local provider."""
    with serverless_stack(monkeypatch, tmp_path, provider="local", max_concurrency=2) as stack:
        function_module().asgi_handler.cache_clear()
        yield stack
        function_module().asgi_handler.cache_clear()


def call(name: str, *, body_json: dict[str, Any] | None = None, **values: str) -> dict[str, Any]:
    """Invoke the ApiFunction handler with ``events/<name>.json`` (optionally another JSON body)."""
    event = api_event(name, **values)
    if body_json is not None:
        event["body"] = json.dumps(body_json)
    response: dict[str, Any] = function_module().handler(event, lambda_context("ApiFunction"))
    return response


@pytest.mark.filterwarnings("ignore:No application metrics")
def test_presigned_upload_to_finished_batch(stack: Stack) -> None:
    # GIVEN a batch of three announced files, uploaded with the presigned forms the API returned
    files = {"lunch.jpg": render_receipt(1), "dinner.jpg": render_receipt(2), "torn.jpg": corrupt_jpeg()}
    announced = {"name": "trip", "files": [{"name": n, "content_type": "image/jpeg"} for n in files]}
    created = call("create_batch", body_json=announced)
    assert created["statusCode"] == 201, created["body"]
    batch_id = body(created)["batch"]["batch_id"]
    for target in body(created)["uploads"]:
        form = requests.post(
            target["url"], data=target["fields"], files={"file": (target["source"], files[target["source"]])}
        )
        assert form.status_code in (200, 204), form.text

    # WHEN the owner starts it and the state machine runs
    started = call("start_batch", batch_id=batch_id)
    assert started["statusCode"] == 202, started["body"]
    execution = stack.wait(body(started)["execution_arn"], timeout=180)
    assert execution["status"] == "SUCCEEDED", execution

    # THEN the API reports the finished batch, per-item results and the CSV, to the owner only
    view = body(call("get_batch", batch_id=batch_id))
    assert view["status"] == "partially_failed", view
    assert view["counts"]["succeeded"] == 2 and view["counts"]["failed"] == 1
    items = body(call("get_results", batch_id=batch_id))["items"]
    by_source = {i["source"]: i for i in items}
    assert by_source["torn.jpg"]["result"]["error"]["code"] == "corrupt_image"
    for name in ("lunch.jpg", "dinner.jpg"):
        assert by_source[name]["status"] == "succeeded"
        assert by_source[name]["result"]["receipt"]["total"]["value"] is not None
    rows = list(csv.DictReader(io.StringIO(call("get_results_csv", batch_id=batch_id)["body"])))
    assert sorted(r["source"] for r in rows) == sorted(files)
    assert call("get_batch_other_tenant", batch_id=batch_id)["statusCode"] == 404
