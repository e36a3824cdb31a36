"""The batch routes in process (``TestClient``, no server, no worker): the app over the embedded stores and
the real batch service, with ``dependency_overrides`` standing the caller's tenant in for the API-key check
(authentication itself is tested separately) and a dispatcher that records runs instead of scanning."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.adapters.embedded.blob_store import FileBlobStore
from receiptflow.adapters.embedded.event_hub import EventHub
from receiptflow.api.app import create_app
from receiptflow.api.auth import ApiKeyAuthenticator
from receiptflow.api.deps import get_services, require_tenant
from receiptflow.api.ratelimit import RateLimiter
from receiptflow.api.services import ApiServices
from receiptflow.api.uploads import LocalUploads
from receiptflow.batches.service import BatchService
from receiptflow.models import ScanResult, ScanStatus
from receiptflow.settings import Settings

from tests.support.dispatchers import ManualDispatcher


@dataclass
class Api:
    client: TestClient
    batches: BatchService
    dispatcher: ManualDispatcher
    tenant: list[str]

    def batch_with_files(self, n: int = 2) -> str:
        batch_id: str = self.client.post("/v1/batches", json={"name": "trip"}).json()["batch"]["batch_id"]
        files = [("files", (f"r{i}.jpg", b"jpeg bytes %d" % i, "image/jpeg")) for i in range(n)]
        assert self.client.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
        return batch_id

    def finish(self, batch_id: str, *results: ScanStatus) -> None:
        """Play the workers: every pending item claimed and recorded, then the run's end."""
        tenant = self.tenant[0]
        for item, status in zip(self.batches.store.list_items(batch_id), results, strict=True):
            assert self.batches.claim_item(tenant, batch_id, item.item_id) is not None
            self.batches.record_result(
                tenant, batch_id, item.item_id, ScanResult(source=item.source, status=status)
            )
        self.batches.finish_run(tenant, batch_id)


def _unscannable(data: bytes, source: str) -> ScanResult:
    raise AssertionError("no route here scans synchronously")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    settings = Settings(data_dir=tmp_path)
    store, blobs, dispatcher = (
        SqliteBatchStore(tmp_path / "db.sqlite"),
        FileBlobStore(tmp_path / "blobs"),
        ManualDispatcher(),
    )
    hub = EventHub()
    batches = BatchService(settings=settings, store=store, dispatcher=dispatcher, publisher=hub, blobs=blobs)
    services = ApiServices(
        settings=settings,
        store=store,
        blobs=blobs,
        batches=batches,
        authenticator=ApiKeyAuthenticator({"key-alpha": "alpha"}),
        uploads=LocalUploads(settings.max_file_bytes),
        scan=_unscannable,
        rate_limiter=RateLimiter(10_000),
        events=hub,
    )
    app = create_app(services)
    tenant = ["alpha"]
    app.dependency_overrides[get_services] = lambda: services
    app.dependency_overrides[require_tenant] = lambda: tenant[0]
    with TestClient(app) as client:
        yield Api(client, batches, dispatcher, tenant)


def test_create_upload_start_and_a_second_start_is_a_conflict(api: Api) -> None:
    batch_id = api.batch_with_files(2)
    started = api.client.post(f"/v1/batches/{batch_id}/start")
    assert started.status_code == 202 and started.json()["status"] == "running"
    assert [run.item_ids for run in api.dispatcher.runs] == [("00001", "00002")]
    again = api.client.post(f"/v1/batches/{batch_id}/start")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    assert again.headers["content-type"] == "application/problem+json"
    assert len(api.dispatcher.runs) == 1


def test_starting_an_empty_batch_is_refused(api: Api) -> None:
    batch_id = api.client.post("/v1/batches", json={}).json()["batch"]["batch_id"]
    refused = api.client.post(f"/v1/batches/{batch_id}/start")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_request"


def test_cancel_answers_cancelling_while_items_are_in_flight_then_conflicts_once_cancelled(api: Api) -> None:
    batch_id = api.batch_with_files(2)
    api.client.post(f"/v1/batches/{batch_id}/start")
    assert api.batches.claim_item("alpha", batch_id, "00001") is not None  # one item in flight
    cancelled = api.client.delete(f"/v1/batches/{batch_id}")
    assert cancelled.status_code == 202
    body = cancelled.json()
    assert body["status"] == "cancelling" and body["counts"]["cancelled"] == 1
    assert api.client.delete(f"/v1/batches/{batch_id}").json()["status"] == "cancelling"  # repeat: no change
    api.batches.record_result("alpha", batch_id, "00001", ScanResult(source="r0.jpg", status=ScanStatus.OK))
    assert api.client.get(f"/v1/batches/{batch_id}").json()["status"] == "cancelled"
    finished = api.client.delete(f"/v1/batches/{batch_id}")
    assert finished.status_code == 409


def test_retry_failed_is_a_conflict_while_running_and_runs_once(api: Api) -> None:
    batch_id = api.batch_with_files(2)
    api.client.post(f"/v1/batches/{batch_id}/start")
    assert api.client.post(f"/v1/batches/{batch_id}/retry-failed").status_code == 409  # still running
    api.finish(batch_id, ScanStatus.OK, ScanStatus.ERROR)
    assert api.client.get(f"/v1/batches/{batch_id}").json()["status"] == "partially_failed"

    first = api.client.post(f"/v1/batches/{batch_id}/retry-failed")
    second = api.client.post(f"/v1/batches/{batch_id}/retry-failed")

    assert first.status_code == 202 and first.json()["status"] == "running"
    assert second.status_code == 409
    assert [run.item_ids for run in api.dispatcher.runs] == [("00001", "00002"), ("00002",)]


def test_another_tenants_batch_is_not_found_on_every_batch_route(api: Api) -> None:
    batch_id = api.batch_with_files(1)
    api.tenant[0] = "beta"
    for method, path in (
        ("GET", ""),
        ("POST", "/start"),
        ("DELETE", ""),
        ("POST", "/retry-failed"),
        ("GET", "/results"),
    ):
        answer = api.client.request(method, f"/v1/batches/{batch_id}{path}")
        assert answer.status_code == 404 and answer.json()["code"] == "not_found", (method, path)
    assert api.client.get("/v1/batches").json() == []
