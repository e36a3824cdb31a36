"""Uploads, limits and the synchronous scan over real HTTP: unsafe names are harmless labels, too big /
too many / too fast answer typed problems, and the per-file intake check happens at scan time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.legible_receipts import corrupt_jpeg, render_receipt
from tests.support.live_server import ALPHA, BETA, LiveServer, live_server, server_settings

pytestmark = pytest.mark.e2e

MAX_BYTES = 60_000


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small limits: 60 kB per file, 3 files per batch, 40 requests per minute."""
    data_dir = tmp_path_factory.mktemp("limited")
    settings = server_settings(
        data_dir, max_file_bytes=MAX_BYTES, max_files_per_batch=3, rate_limit_per_minute=40
    )
    with live_server(settings) as live:
        yield live


def test_unsafe_file_names_are_labels_not_paths(limited: LiveServer) -> None:
    names = ["../../x.jpg", "/etc/passwd", "..\\..\\win.jpg"]
    with limited.client(ALPHA) as client:
        batch_id = client.post("/v1/batches", json={}).json()["batch"]["batch_id"]
        upload = client.post(
            f"/v1/batches/{batch_id}/files",
            files=[("files", (name, render_receipt(n), "image/jpeg")) for n, name in enumerate(names)],
        )
        assert upload.status_code == 201, upload.text
        items = upload.json()["items"]
    assert [i["source"] for i in items] == names  # the original name is kept as the label
    blob_root: Path = limited.settings.data_dir / "blobs"
    for item in items:
        assert item["blob_key"] == f"uploads/alpha/{batch_id}/{item['item_id']}"
        assert (blob_root / item["blob_key"]).is_file()
    stored = sorted(
        p.relative_to(limited.settings.data_dir) for p in limited.settings.data_dir.rglob("*") if p.is_file()
    )
    assert all(str(p).startswith(("blobs/uploads/alpha/", "receiptflow.db")) for p in stored), stored
    assert not (limited.settings.data_dir.parent / "x.jpg").exists()


def test_odd_unicode_name_keeps_printable_text(limited: LiveServer) -> None:
    with limited.client(ALPHA) as client:
        batch_id = client.post("/v1/batches", json={}).json()["batch"]["batch_id"]
        upload = client.post(
            f"/v1/batches/{batch_id}/files",
            files=[("files", ("ü😀\u202eevil\u200b.jpg", render_receipt(3), "image/jpeg"))],
        )
        assert upload.status_code == 201, upload.text
        assert (
            upload.json()["items"][0]["source"] == "ü😀evil.jpg"
        )  # bidi override and zero-width space dropped


def test_too_big_and_too_many_files(limited: LiveServer) -> None:
    with limited.client(ALPHA) as client:
        batch_id = client.post("/v1/batches", json={}).json()["batch"]["batch_id"]
        big = client.post(
            f"/v1/batches/{batch_id}/files", files=[("files", ("big.jpg", b"\xff" * (MAX_BYTES + 1)))]
        )
        assert big.status_code == 413 and big.json()["code"] == "too_large"
        four = [("files", (f"{n}.jpg", render_receipt(n), "image/jpeg")) for n in range(4)]
        many = client.post(f"/v1/batches/{batch_id}/files", files=four)
        assert many.status_code == 422 and many.json()["code"] == "limit_exceeded"
        assert client.get(f"/v1/batches/{batch_id}").json()["counts"]["total"] == 0  # nothing half-stored
        expecting = client.post("/v1/batches", json={"expected_files": 2}).json()["batch"]["batch_id"]
        nothing_uploaded = client.post(f"/v1/batches/{expecting}/start")
        assert nothing_uploaded.status_code == 400 and nothing_uploaded.json()["code"] == "invalid_request"
        announced = client.post("/v1/batches", json={"expected_files": 4})
        assert announced.status_code == 422 and announced.json()["code"] == "limit_exceeded"
        empty_start = client.post(f"/v1/batches/{batch_id}/start")
        assert empty_start.status_code == 400 and empty_start.json()["code"] == "invalid_request"
        invalid = client.post("/v1/batches", json={"expected_files": 0})
        assert invalid.status_code == 422 and invalid.json()["code"] == "invalid_request"


def test_synchronous_scan(limited: LiveServer) -> None:
    with limited.client(BETA) as client:
        ok = client.post("/v1/scan", files=[("file", ("r.jpg", render_receipt(5), "image/jpeg"))])
        assert ok.status_code == 200, ok.text
        result = ok.json()["result"]
        assert result["status"] == "ok" and result["source"] == "r.jpg"
        assert result["receipt"]["vendor_name"]["value"]
        bad = client.post("/v1/scan", files=[("file", ("x.jpg", corrupt_jpeg(), "image/jpeg"))])
        assert bad.status_code == 422 and bad.json()["code"] == "corrupt_image"
        text = client.post("/v1/scan", files=[("file", ("x.jpg", b"hello, not an image", "image/jpeg"))])
        assert text.status_code == 422 and text.json()["code"] == "unsupported_type"


def test_health_and_stats(limited: LiveServer) -> None:
    with limited.client() as anon:
        health = anon.get("/health")
        report = health.json()
        assert report["status"] == "ok"
        assert report["checks"] == {"batch_store": "ok", "blob_store": "ok"}
        in_chain = [p["name"] for p in report["providers"] if p["in_chain"]]
        assert in_chain == ["local"]  # the default: the embedded engine, nothing cloud-side configured
        assert anon.get("/docs").status_code == 200
        assert "/v1/batches/{batch_id}/results" in anon.get("/openapi.json").json()["paths"]
    with limited.client(ALPHA) as client:
        stats = client.get("/v1/stats")
        assert stats.status_code == 200
        assert set(stats.json()) >= {"throughput_per_s", "cache_hit_rate", "provider_latency_ms", "circuits"}


def test_rate_limit_answers_429_with_retry_after(limited: LiveServer) -> None:
    # runs last in this module: it empties beta's bucket (alpha's is separate)
    with limited.client(BETA) as client:
        codes = [client.get("/v1/batches").status_code for _ in range(45)]
        assert 429 in codes and codes[0] == 200
        limited_response = client.get("/v1/batches")
        assert limited_response.status_code == 429
        assert limited_response.json()["code"] == "rate_limited"
        assert int(limited_response.headers["retry-after"]) >= 1
    with limited.client(ALPHA) as other:
        assert other.get("/v1/batches").status_code == 200
