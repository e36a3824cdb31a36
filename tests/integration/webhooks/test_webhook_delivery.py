"""Completion webhooks delivered to a real HTTP receiver on loopback: signed, retried with backoff, not
retried when refused, verified by the docs' snippet; locally sent when a batch finishes; in AWS from the
``BatchCompleted`` event's batch in DynamoDB (moto)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.adapters.webhook_notifier import WebhookNotifier, completion_id, deliver_completed_event
from receiptflow.models import Batch, BatchOptions, BatchStatus
from receiptflow.webhooks import DELIVERY_HEADER, SECRET_FILENAME, SIGNATURE_HEADER, verify

from tests.integration.api.web_client import ALPHA, web_app
from tests.integration.webhooks.receiver import receiver
from tests.support.aws import mocked_aws
from tests.support.legible_receipts import corrupt_jpeg
from tests.support.template import create_tables_from_template

SECRET = "whsec_test"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def finished_batch(url: str) -> Batch:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return Batch(
        batch_id="b1",
        tenant_id="t",
        status=BatchStatus.SUCCEEDED,
        options=BatchOptions(webhook_url=url),
        started_at=start,
        finished_at=start + dt.timedelta(seconds=3),
    )


def docs_verifier() -> Any:
    """The verification snippet of docs/webhooks.md, run as written."""
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)  # the documented snippet is what receivers copy
    return namespace["verify_receiptflow_signature"]


def test_signed_delivery_retried_through_server_errors_with_backoff() -> None:
    waits: list[float] = []
    with receiver([503, 429, 200]) as hook:
        delivery = WebhookNotifier(SECRET, sleep=waits.append).deliver(finished_batch(hook.url))
    assert delivery.delivered and delivery.attempts == 3 and delivery.status == 200
    assert waits == [1.0, 7.0]  # backoff, then the receiver's Retry-After
    ids = {r.headers[DELIVERY_HEADER] for r in hook.requests}
    assert ids == {completion_id(finished_batch(hook.url))}  # one id for every attempt
    check = docs_verifier()
    for request in hook.requests:
        assert verify(SECRET, request.headers[SIGNATURE_HEADER], request.body) > 0
        assert check(SECRET, request.headers[SIGNATURE_HEADER], request.body)
        assert not check("wrong", request.headers[SIGNATURE_HEADER], request.body)
        assert not check(SECRET, request.headers[SIGNATURE_HEADER], request.body + b"x")


def test_a_refusal_is_not_retried_and_an_unreachable_receiver_is_given_up() -> None:
    waits: list[float] = []
    with receiver([410]) as hook:
        refused = WebhookNotifier(SECRET, sleep=waits.append).deliver(finished_batch(hook.url))
        url = hook.url
    assert (refused.delivered, refused.attempts, refused.status) == (False, 1, 410) and waits == []
    gone = WebhookNotifier(SECRET, attempts=3, sleep=waits.append).deliver(finished_batch(url))
    assert (gone.delivered, gone.attempts, gone.status) == (False, 3, None) and gone.error
    assert waits == [1.0, 2.0]


def test_batches_without_a_webhook_send_nothing() -> None:
    batch = finished_batch("https://example.com/h").model_copy(update={"options": BatchOptions()})
    assert WebhookNotifier(SECRET).deliver(batch).attempts == 0


def test_serve_posts_when_a_batch_finishes_and_when_one_is_cancelled(tmp_path: Path) -> None:
    with receiver() as hook, web_app(tmp_path / "data") as (client, _):
        assert not (tmp_path / "data" / SECRET_FILENAME).exists()  # made on the first delivery only
        refused = client.post("/v1/batches", json={"options": {"webhook_url": "http://example.com/h"}},
                              headers=ALPHA)  # fmt: skip
        assert refused.status_code == 422 and "webhook_url" in str(refused.json()["errors"])
        ids = []
        for _ in range(2):
            created = client.post("/v1/batches", json={"options": {"webhook_url": hook.url}}, headers=ALPHA)
            batch_id = created.json()["batch"]["batch_id"]
            files = [("files", ("bad.jpg", corrupt_jpeg(), "image/jpeg"))]
            assert client.post(f"/v1/batches/{batch_id}/files", files=files, headers=ALPHA).status_code == 201
            ids.append(batch_id)
        assert client.delete(f"/v1/batches/{ids[0]}", headers=ALPHA).status_code == 202  # never started
        assert client.post(f"/v1/batches/{ids[1]}/start", headers=ALPHA).status_code == 202
        deadline = time.monotonic() + 120
        while len(hook.requests) < 2:
            assert time.monotonic() < deadline, f"got {len(hook.requests)} webhook(s)"
            time.sleep(0.1)
    secret = (tmp_path / "data" / SECRET_FILENAME).read_text(encoding="utf-8").strip()
    assert (tmp_path / "data" / SECRET_FILENAME).stat().st_mode & 0o077 == 0
    bodies = {r.body for r in hook.requests}
    statuses = sorted(json.loads(b)["status"] for b in bodies)
    assert statuses == ["cancelled", "failed"]
    for request in hook.requests:
        assert docs_verifier()(secret, request.headers[SIGNATURE_HEADER], request.body)


def test_aws_delivers_from_the_batch_completed_event(monkeypatch: pytest.MonkeyPatch) -> None:
    with mocked_aws(monkeypatch), receiver() as hook:
        table = create_tables_from_template(dynamodb_client())["ReceiptflowTable"]
        store = DynamoBatchStore(table)
        store.create_batch(finished_batch(hook.url))
        detail = {"batch_id": "b1", "tenant_id": "t", "status": "succeeded"}
        delivery = deliver_completed_event(detail, store, WebhookNotifier(SECRET))
    assert delivery.delivered and len(hook.requests) == 1
    assert verify(SECRET, hook.requests[0].headers[SIGNATURE_HEADER], hook.requests[0].body)
