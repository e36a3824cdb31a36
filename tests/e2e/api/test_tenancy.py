"""Tenancy and auth over real HTTP/WebSocket: another tenant's batch answers 404 exactly like a missing
one on every route and on both event transports; no credential answers 401 (the socket refuses)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.legible_receipts import render_receipt
from tests.support.live_server import ALPHA, BETA, LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def alpha_batch(server: LiveServer) -> dict[str, Any]:
    """A created batch of tenant alpha with one uploaded item."""
    with server.client(ALPHA) as client:
        batch = client.post("/v1/batches", json={"name": "alpha's"}).json()["batch"]
        upload = client.post(
            f"/v1/batches/{batch['batch_id']}/files",
            files=[("files", ("a.jpg", render_receipt(7), "image/jpeg"))],
        )
        assert upload.status_code == 201
        item: dict[str, Any] = upload.json()["items"][0]
        return {"batch_id": batch["batch_id"], "item_id": item["item_id"]}


def batch_routes(batch_id: str, item_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every route that names a batch: (method, path, request kwargs)."""
    jpeg = render_receipt(8)
    return [
        ("GET", f"/v1/batches/{batch_id}", {}),
        ("POST", f"/v1/batches/{batch_id}/files", {"files": [("files", ("b.jpg", jpeg, "image/jpeg"))]}),
        ("POST", f"/v1/batches/{batch_id}/start", {}),
        ("GET", f"/v1/batches/{batch_id}/results", {}),
        ("GET", f"/v1/batches/{batch_id}/results?format=csv", {}),
        ("GET", f"/v1/batches/{batch_id}/items/{item_id}", {}),
        ("PATCH", f"/v1/batches/{batch_id}/items/{item_id}", {"json": {"total": "1.00"}}),
        ("DELETE", f"/v1/batches/{batch_id}", {}),
        ("POST", f"/v1/batches/{batch_id}/retry-failed", {}),
        ("GET", f"/v1/batches/{batch_id}/events", {}),
    ]


def test_other_tenant_gets_404_like_a_missing_batch(server: LiveServer, alpha_batch: dict[str, Any]) -> None:
    batch_id, item_id = alpha_batch["batch_id"], alpha_batch["item_id"]
    with server.client(BETA) as beta:
        for method, path, kwargs in batch_routes(batch_id, item_id):
            theirs = beta.request(method, path, **kwargs)
            missing = beta.request(method, path.replace(batch_id, "0" * 32), **kwargs)
            assert theirs.status_code == 404, (method, path, theirs.text)
            assert theirs.headers["content-type"] == "application/problem+json"
            assert theirs.json()["code"] == "not_found"
            assert (missing.status_code, missing.json()["code"]) == (404, "not_found"), (method, path)
            assert theirs.json()["detail"].replace(batch_id, "X") == missing.json()["detail"].replace(
                "0" * 32, "X"
            )
        assert all(b["batch_id"] != batch_id for b in beta.get("/v1/batches").json())
    # the batch is untouched: beta's PATCH/DELETE/start/upload did nothing
    with server.client(ALPHA) as alpha:
        view = alpha.get(f"/v1/batches/{batch_id}").json()
        assert view["status"] == "created" and view["counts"]["total"] == 1
        assert alpha.get(f"/v1/batches/{batch_id}/items/{item_id}").json()["correction"] is None


def test_other_tenant_cannot_subscribe(server: LiveServer, alpha_batch: dict[str, Any]) -> None:
    batch_id = alpha_batch["batch_id"]
    with connect(f"{server.ws_url}/v1/ws?token=key-beta", open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
        reply = json.loads(ws.recv(timeout=10))
        assert reply["type"] == "problem" and reply["code"] == "not_found" and reply["status"] == 404
        ws.send(json.dumps({"action": "subscribe", "batch_id": "0" * 32}))
        missing = json.loads(ws.recv(timeout=10))
        assert json.dumps(missing).replace("0" * 32, "X") == json.dumps(reply).replace(batch_id, "X")
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}  # no snapshot leaked in between
    with connect(f"{server.ws_url}/v1/ws", additional_headers=ALPHA, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["batch"]["batch_id"] == batch_id


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic a2V5"}])
def test_every_route_needs_a_credential(
    server: LiveServer, alpha_batch: dict[str, Any], headers: dict[str, str]
) -> None:
    batch_id, item_id = alpha_batch["batch_id"], alpha_batch["item_id"]
    routes = [
        *batch_routes(batch_id, item_id),
        ("POST", "/v1/batches", {"json": {}}),
        ("GET", "/v1/stats", {}),
    ]
    routes.append(("POST", "/v1/scan", {"files": [("file", ("a.jpg", render_receipt(1), "image/jpeg"))]}))
    with httpx.Client(base_url=server.url, headers=headers, timeout=30) as anon:
        for method, path, kwargs in routes:
            response = anon.request(method, path, **kwargs)
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "Bearer"
        assert anon.get("/health").status_code == 200
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{server.ws_url}/v1/ws", additional_headers=headers, open_timeout=10)
    assert refused.value.response.status_code == 403
