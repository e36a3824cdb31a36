"""End to end over real HTTP and WebSocket on loopback: create, upload, subscribe, start, results, CSV,
corrections, SSE replay. Real SQLite, filesystem and OCR (one worker process)."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from receiptflow.models import CompleteEvent, Event, ResultEvent, parse_event
from websockets.sync.client import ClientConnection, connect

from tests.support.legible_receipts import corrupt_jpeg, render_receipt
from tests.support.live_server import ALPHA, LiveServer

pytestmark = pytest.mark.e2e


def receive_json(ws: ClientConnection, timeout: float = 120) -> dict[str, Any]:
    """The next message as JSON (bounded wait)."""
    message: dict[str, Any] = json.loads(ws.recv(timeout=timeout))
    return message


def create_and_upload(client: httpx.Client, files: list[tuple[str, bytes]], **body: Any) -> dict[str, Any]:
    """A new batch with ``files`` uploaded through the target the API returned."""
    created = client.post("/v1/batches", json={"name": "test", **body})
    assert created.status_code == 201, created.text
    target = created.json()["uploads"][0]
    assert target["url"].endswith(f"/v1/batches/{created.json()['batch']['batch_id']}/files")
    upload = client.post(
        target["url"], files=[(target["file_field"], (name, data, "image/jpeg")) for name, data in files]
    )
    assert upload.status_code == 201, upload.text
    batch: dict[str, Any] = upload.json()["batch"]
    return batch


class SseReader(threading.Thread):
    """Reads a batch's SSE stream until the server ends it (after ``complete``)."""

    def __init__(self, server: LiveServer, batch_id: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{server.url}/v1/batches/{batch_id}/events"
        self.events: list[Event] = []
        self.subscribed = threading.Event()

    def run(self) -> None:
        with httpx.stream("GET", self.url, headers=ALPHA, timeout=180) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    self.events.append(parse_event(line[len("data: ") :]))
                    self.subscribed.set()


def test_batch_over_http_and_websocket(server: LiveServer) -> None:
    # GIVEN a batch of four receipts and one corrupt file, uploaded by tenant alpha
    files = [(f"receipt-{n}.jpg", render_receipt(n)) for n in range(4)]
    files.insert(2, ("broken.jpg", corrupt_jpeg()))
    with server.client(ALPHA) as client:
        batch = create_and_upload(client, files)
        batch_id = batch["batch_id"]
        assert batch["counts"]["total"] == 5 and batch["status"] == "created"

        # WHEN alpha follows it over SSE and over the WebSocket, and starts the batch
        sse = SseReader(server, batch_id)
        sse.start()
        assert sse.subscribed.wait(10)
        with connect(f"{server.ws_url}/v1/ws", additional_headers=ALPHA, open_timeout=10) as ws:
            ws.send(json.dumps({"action": "ping"}))
            assert receive_json(ws) == {"type": "pong"}
            ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
            snapshot = parse_event(ws.recv(timeout=10))
            assert snapshot.type == "snapshot" and snapshot.batch.status == "created"
            started = client.post(f"/v1/batches/{batch_id}/start")
            assert started.status_code == 202, started.text
            events = []
            while True:
                event = parse_event(ws.recv(timeout=180))
                events.append(event)
                if event.type == "complete":
                    break

        # THEN events arrive in sequence order without gaps: progress…, result ×4, error ×1, complete
        seqs = [e.seq for e in events]
        assert seqs == list(range(snapshot.seq + 1, snapshot.seq + 1 + len(events)))
        kinds = [e.type for e in events]
        assert kinds[0] == "progress" and kinds[-1] == "complete"
        assert kinds.count("result") == 4 and kinds.count("error") == 1
        error = next(e for e in events if e.type == "error")
        assert error.source == "broken.jpg" and error.code == "corrupt_image"
        complete = events[-1]
        assert isinstance(complete, CompleteEvent) and complete.status == "partially_failed"
        sse.join(60)
        assert [e.seq for e in sse.events] == [snapshot.seq, *seqs]  # the same events on both transports
        assert [e.type for e in sse.events] == ["snapshot", *kinds]
        assert complete.counts.succeeded == 4 and complete.counts.failed == 1

        # AND the results page, the CSV and the events agree
        view = client.get(f"/v1/batches/{batch_id}").json()
        assert view["status"] == "partially_failed" and view["rate"] > 0 and view["eta_seconds"] is None
        first = client.get(f"/v1/batches/{batch_id}/results", params={"limit": 3}).json()
        second = client.get(f"/v1/batches/{batch_id}/results", params={"cursor": first["next_cursor"]}).json()
        assert first["next_cursor"] and second["next_cursor"] is None
        items = first["items"] + second["items"]
        assert [i["source"] for i in items] == [name for name, _ in files]
        totals = {e.source: e.total for e in events if e.type == "result"}
        for item in items:
            if item["status"] == "succeeded":
                total = item["result"]["receipt"]["total"]["value"]
                assert (Decimal(total) if total is not None else None) == totals[item["source"]]
        export = client.get(f"/v1/batches/{batch_id}/results", params={"format": "csv"})
        assert export.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(export.text)))
        assert [r["source"] for r in rows] == [i["source"] for i in items]
        for row, item in zip(rows, items, strict=True):
            assert row["status"] in (item["status"], item["result"]["status"])
            if item["status"] == "succeeded":
                machine_total = item["result"]["receipt"]["total"]["value"]
                assert row["total"] == (str(Decimal(machine_total)) if machine_total is not None else "")
            else:
                assert row["error_code"] == "corrupt_image"

        # AND a correction round-trips and the export uses it (and says so)
        item_id = items[0]["item_id"]
        patched = client.patch(f"/v1/batches/{batch_id}/items/{item_id}", json={"total": "123.45"})
        assert patched.status_code == 200, patched.text
        assert patched.json()["correction"] == {"total": "123.45"}
        assert patched.json()["result"] == items[0]["result"]  # the machine result is kept beside it
        again = client.get(f"/v1/batches/{batch_id}/items/{item_id}").json()
        assert again["correction"] == {"total": "123.45"}
        row = next(csv.DictReader(io.StringIO(client.get(f"/v1/batches/{batch_id}/results?format=csv").text)))
        assert row["total"] == "123.45" and "total" in row["corrected_fields"]
        bad = client.patch(f"/v1/batches/{batch_id}/items/{item_id}", json={"total": "abc"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_request"
        assert bad.headers["content-type"] == "application/problem+json"

        # AND SSE replays the missed events after Last-Event-ID, then ends at complete
        replay = client.get(
            f"/v1/batches/{batch_id}/events", headers={"Last-Event-ID": str(events[-3].seq)}, timeout=30
        )
        assert replay.headers["content-type"].startswith("text/event-stream")
        frames = [f for f in replay.text.split("\n\n") if f.startswith("id:")]
        assert [int(f.split("\n")[0][4:]) for f in frames] == seqs[-2:]
        assert "event: complete" in frames[-1]

        # AND a browser-style SSE request (?token=) on the finished batch gets one snapshot and the end
        with httpx.Client(base_url=server.url, timeout=30) as browser:
            live = browser.get(f"/v1/batches/{batch_id}/events", params={"token": "key-alpha"})
        snapshot_frames = [f for f in live.text.split("\n\n") if f.startswith("id:")]
        assert len(snapshot_frames) == 1 and "event: snapshot" in snapshot_frames[0]
        assert f"id: {seqs[-1]}" in snapshot_frames[0] and '"status":"partially_failed"' in snapshot_frames[0]

        # AND retry-failed scans the failed item again (still corrupt: the same typed error)
        retried = client.post(f"/v1/batches/{batch_id}/retry-failed")
        assert retried.status_code == 202, retried.text
        assert wait_for_status(client, batch_id, {"partially_failed"})["counts"]["failed"] == 1

        # AND the stats reflect the scans: throughput, provider latency, cache hit rate
        stats = client.get("/v1/stats").json()
        assert stats["items_done"] >= 5 and stats["throughput_per_s"] > 0
        assert stats["provider_latency_ms"]["local"]["count"] >= 4
        assert (
            0 <= stats["cache_hit_rate"] <= 1 and stats["circuits"] == {}
        )  # the local provider has no circuit


def wait_for_status(
    client: httpx.Client, batch_id: str, statuses: set[str], timeout: float = 120
) -> dict[str, Any]:
    """Poll the batch until its status is one of ``statuses``; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = client.get(f"/v1/batches/{batch_id}").json()
        if view["status"] in statuses:
            return view
        assert time.monotonic() < deadline, f"batch stuck in {view['status']}"
        time.sleep(0.2)


def test_cancel_mid_batch_keeps_finished_results(server: LiveServer) -> None:
    # GIVEN a running batch of eight receipts scanned without the cache (one worker process)
    files = [(f"slow-{n}.jpg", render_receipt(n)) for n in range(20, 28)]
    with server.client(ALPHA) as client:
        batch_id = create_and_upload(client, files, options={"use_cache": False})["batch_id"]
        with connect(f"{server.ws_url}/v1/ws?token=key-alpha", open_timeout=10) as ws:
            ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
            assert parse_event(ws.recv(timeout=10)).type == "snapshot"
            assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
            # WHEN the first result arrives, the user cancels
            events: list[Event] = []
            while not any(e.type == "result" for e in events):
                events.append(parse_event(ws.recv(timeout=120)))
            cancelled = client.delete(f"/v1/batches/{batch_id}")
            assert cancelled.status_code == 202, cancelled.text
            while events[-1].type != "complete":
                events.append(parse_event(ws.recv(timeout=120)))
        # THEN the batch ends cancelled, finished results are kept, the rest are cancelled
        complete = events[-1]
        assert isinstance(complete, CompleteEvent) and complete.status == "cancelled"
        counts = complete.counts
        assert counts.succeeded >= 1 and counts.cancelled >= 1
        assert counts.succeeded + counts.failed + counts.cancelled == 8
        items = client.get(f"/v1/batches/{batch_id}/results", params={"limit": 100}).json()["items"]
        finished = [i for i in items if i["status"] == "succeeded"]
        assert len(finished) == counts.succeeded
        assert all(i["result"]["receipt"]["vendor_name"]["value"] for i in finished)
        assert {e.item_id for e in events if isinstance(e, ResultEvent)} == {i["item_id"] for i in finished}
        assert sum(i["status"] == "cancelled" for i in items) == counts.cancelled
        again = client.delete(f"/v1/batches/{batch_id}")
        assert again.status_code == 409 and again.json()["code"] == "conflict"
