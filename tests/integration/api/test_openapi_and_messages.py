"""OpenAPI that generates good clients (bearer scheme, problem+json, Location), the AWS image redirect,
the web app's static files, and every WebSocket message validating against docs/events.schema.json."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from receiptflow.adapters.aws.clients import s3_client
from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
from receiptflow.api import ApiServices
from receiptflow.api.events_schema import render
from receiptflow.models import ResultEvent

from tests.integration.api.web_client import ALPHA, uploaded_batch, web_app
from tests.support.aws import mocked_aws
from tests.support.legible_receipts import render_receipt
from tests.support.template import create_buckets_from_template

REPO_ROOT = Path(__file__).resolve().parents[3]
PROBLEM_STATUSES = {400, 401, 404, 409, 413, 422, 429}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[TestClient, ApiServices]]:
    with web_app(tmp_path / "data") as pair:
        yield pair


@pytest.fixture
def spec(app: tuple[TestClient, ApiServices]) -> dict[str, Any]:
    answer = app[0].get("/openapi.json")
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def test_bearer_scheme_applies_to_every_route_but_health(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "locally an API key (RECEIPTFLOW_API_KEYS); in AWS a Cognito ID token",
    }
    assert spec["security"] == [{"bearer": []}]
    assert spec["paths"]["/health"]["get"]["security"] == []
    assert all("security" not in op for path, ops in spec["paths"].items() if path != "/health"
               for op in ops.values())  # fmt: skip


def problem_statuses(operation: dict[str, Any]) -> set[int]:
    return {
        int(status)
        for status, response in operation["responses"].items()
        if "application/problem+json" in response.get("content", {})
    }


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("post", "/v1/batches", {401, 422, 429}),
        ("post", "/v1/batches/{batch_id}/files", {401, 404, 409, 413, 422, 429}),
        ("post", "/v1/batches/{batch_id}/start", {400, 401, 404, 409, 422, 429}),
        ("patch", "/v1/batches/{batch_id}/items/{item_id}", {400, 401, 404, 409, 422, 429}),
        ("get", "/v1/batches/{batch_id}/items/{item_id}/thumbnail", {401, 404, 422, 429}),
        ("post", "/v1/scan", {401, 413, 422, 429, 502, 503, 504}),
        ("get", "/health", {503}),
    ],
)
def test_problem_json_is_declared_for_the_statuses_each_route_answers(
    spec: dict[str, Any], method: str, path: str, expected: set[int]
) -> None:
    assert problem_statuses(spec["paths"][path][method]) == expected


def test_every_problem_status_is_declared_and_the_default_422_body_is_gone(spec: dict[str, Any]) -> None:
    declared = {s for ops in spec["paths"].values() for op in ops.values() for s in problem_statuses(op)}
    assert PROBLEM_STATUSES <= declared
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "code" in spec["components"]["schemas"]["Problem"]["required"]
    unauthorized = spec["paths"]["/v1/batches"]["get"]["responses"]["401"]
    assert "WWW-Authenticate" in unauthorized["headers"]
    assert "Retry-After" in spec["paths"]["/v1/batches"]["get"]["responses"]["429"]["headers"]


def test_created_responses_declare_location(spec: dict[str, Any]) -> None:
    created = [op["responses"]["201"] for ops in spec["paths"].values() for op in ops.values()
               if "201" in op["responses"]]  # fmt: skip
    assert len(created) == 2
    assert all("Location" in response["headers"] for response in created)


def test_aws_blob_store_answers_the_image_with_a_presigned_redirect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with mocked_aws(monkeypatch), web_app(tmp_path / "data") as (client, services):
        bucket = create_buckets_from_template(s3_client())["ReceiptsBucket"]
        body = uploaded_batch(client, [("a.jpg", render_receipt(2), "image/jpeg")])
        item = body["items"][0]
        s3 = S3BlobStore(bucket)
        s3.put(item["blob_key"], render_receipt(2), "image/jpeg")
        client.app.state.services = dataclasses.replace(services, blobs=s3)  # type: ignore[attr-defined]
        url = f"/v1/batches/{body['batch']['batch_id']}/items/{item['item_id']}/image"
        answer = client.get(url, headers=ALPHA, follow_redirects=False)
        assert answer.status_code == 307
        location = answer.headers["location"]
        assert bucket in location and item["blob_key"] in location and "Signature" in location
        thumb = client.get(url.replace("/image", "/thumbnail"), headers=ALPHA)
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert any(key.startswith("previews/") for key in s3.list_keys("previews/"))


def test_the_web_app_is_served_at_the_root_with_a_strict_policy(app: tuple[TestClient, ApiServices]) -> None:
    client, _ = app
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy  # no inline script, no CDN
    script = client.get("/js/events.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert client.get("/v1/nothing-here", headers=ALPHA).headers["content-type"] == "application/problem+json"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads((REPO_ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def test_committed_events_schema_is_up_to_date() -> None:
    committed = (REPO_ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8")
    assert committed == render(), "regenerate with: python -m receiptflow.api.events_schema"


def test_every_websocket_message_the_server_sends_validates(app: tuple[TestClient, ApiServices]) -> None:
    client, _ = app
    body = uploaded_batch(client, [("a.jpg", render_receipt(2), "image/jpeg")])
    batch_id = body["batch"]["batch_id"]
    check = validator()
    seen: dict[str, dict[str, Any]] = {}
    with client.websocket_connect("/v1/ws", headers=ALPHA) as ws:
        for message in ({"action": "ping"}, {"action": "subscribe", "batch_id": batch_id},
                        {"action": "unsubscribe", "batch_id": batch_id}, {"action": "dance"},
                        {"action": "subscribe", "batch_id": "f" * 32}):  # fmt: skip
            ws.send_text(json.dumps(message))
            answer = ws.receive_json()
            seen[answer["type"]] = answer
    assert set(seen) == {"pong", "snapshot", "unsubscribed", "problem"}
    for message in seen.values():
        check.validate(message)
    result = ResultEvent(batch_id=batch_id, seq=2, item_id="00001", source="a.jpg", total=Decimal("1.50"))
    check.validate(json.loads(result.model_dump_json()))
    with pytest.raises(jsonschema.ValidationError):
        check.validate({"type": "pong-pong"})


def test_client_messages_are_described_too() -> None:
    defs = validator().schema["$defs"]
    client_messages = jsonschema.Draft202012Validator({"$defs": defs, "$ref": "#/$defs/ClientMessage"})
    for message in ({"action": "subscribe", "batch_id": "b"}, {"action": "unsubscribe", "batch_id": "b"},
                    {"action": "ping"}):  # fmt: skip
        client_messages.validate(message)
    with pytest.raises(jsonschema.ValidationError):
        client_messages.validate({"action": "subscribe"})
