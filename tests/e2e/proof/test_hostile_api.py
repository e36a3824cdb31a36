"""End to end against a real ``receiptflow serve``: client numbers are bounded before any work, the
API contract holds for bad cursors and unknown providers, and resuming an event stream never hangs
(finished batch, after a restart, from any seq), over SSE and the WebSocket."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from websockets.sync.client import connect

from tests.support.hostile import bad_cursors, huge_numbers
from tests.support.known_receipts import RECEIPTS, render
from tests.support.serve_process import AUTH, ServeProcess, serve, wait_batch

pytestmark = pytest.mark.e2e

MB = 1024 * 1024
STREAM_TIMEOUT_S = 20.0


def _finished_batch(client: httpx.Client, items: int = 2) -> dict[str, Any]:
    batch_id = client.post("/v1/batches", json={"name": "resume"}).json()["batch"]["batch_id"]
    files = [("files", (f"r{n}.png", render(RECEIPTS[n]), "image/png")) for n in range(items)]
    assert client.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
    assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
    return wait_batch(client, batch_id, lambda b: b["status"] not in ("created", "running"))


def _sse(server: ServeProcess, batch_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every frame of the batch's SSE stream; fails if it does not end within the timeout."""
    headers = dict(AUTH)
    if "last_event_id" in params:
        headers["Last-Event-ID"] = str(params.pop("last_event_id"))
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + STREAM_TIMEOUT_S
    timeout = httpx.Timeout(STREAM_TIMEOUT_S)
    url = f"{server.url}/v1/batches/{batch_id}/events"
    with httpx.stream("GET", url, headers=headers, params=params, timeout=timeout) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            assert time.monotonic() < deadline, f"the stream did not end: {frames}"
            if line.startswith("data: "):
                frames.append(json.loads(line[6:]))
    return frames


def _ends_caught_up(frames: list[dict[str, Any]], last_seq: int) -> None:
    assert frames, "nothing was sent"
    final = frames[-1]
    assert final["type"] in ("snapshot", "complete"), frames
    assert final["seq"] == last_seq
    if final["type"] == "snapshot":
        assert final["batch"]["status"] not in ("created", "running")


def test_client_numbers_are_bounded_and_the_contract_holds(tmp_path: Path) -> None:
    with serve(tmp_path / "data", workers=1) as server, server.client() as client:
        rss_before = psutil.Process(server.proc.pid).memory_info().rss
        # GIVEN numbers past every bound, in every numeric field and parameter
        for number in huge_numbers():
            for body in ({"expected_files": number}, {"expected_files": number, "files": None}):
                response = client.post("/v1/batches", json=body)
                # THEN a 422 problem (or 422 limit_exceeded), before anything is built
                assert response.status_code == 422, (body, response.text)
                assert response.headers["content-type"].startswith("application/problem+json")
            assert client.get("/v1/batches", params={"limit": number}).status_code == 422
        # AND lists and strings are bounded too
        assert client.post("/v1/batches", json={"name": "x" * 201}).status_code == 422
        many = {"files": [{"name": "a"}] * 100_001}
        assert client.post("/v1/batches", json=many).status_code in (413, 422)
        assert (
            client.post(
                "/v1/batches", content=b"[" * (2 * MB), headers={"content-type": "application/json"}
            ).status_code
            == 413
        )
        assert client.get("/v1/batches/" + "b" * 500).status_code == 422
        # AND the server did not grow for any of it
        grown = (psutil.Process(server.proc.pid).memory_info().rss - rss_before) / MB
        assert grown < 100, f"the server grew by {grown:.0f} MiB"

        # GIVEN a batch; WHEN the results are paged with cursors that are not item ids: 400
        batch_id = client.post("/v1/batches", json={"name": "c"}).json()["batch"]["batch_id"]
        for cursor in bad_cursors(30):
            response = client.get(f"/v1/batches/{batch_id}/results", params={"cursor": cursor})
            assert (response.status_code, response.json()["code"]) == (400, "invalid_request"), cursor
        assert client.get(f"/v1/batches/{batch_id}/results", params={"cursor": "00000"}).status_code == 200
        for limit in (0, 501, 10**12):
            assert client.get(f"/v1/batches/{batch_id}/results", params={"limit": limit}).status_code == 422

        # WHEN a batch names a provider that does not exist: 422 at create, no batch made
        count = len(client.get("/v1/batches").json())
        for provider in ("nope", "LOCAL", "local ", "../local", "", "x" * 5000, "textract,openai"):
            response = client.post("/v1/batches", json={"options": {"provider": provider}})
            assert response.status_code == 422, provider
        assert len(client.get("/v1/batches").json()) == count
        for known in ("local", None):
            assert client.post("/v1/batches", json={"options": {"provider": known}}).status_code == 201


def test_resuming_events_always_ends_caught_up_also_after_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve(data, workers=1) as server, server.client() as client:
        # GIVEN a finished batch
        batch = _finished_batch(client)
        batch_id, last = batch["batch_id"], batch["last_seq"]
        assert last > 3
        # WHEN SSE resumes from any seq (before, at, past the end): it ends with complete or a final snapshot
        for after in (0, 1, last // 2, last - 1, last, last + 5):
            _ends_caught_up(_sse(server, batch_id, last_event_id=after), last)
            _ends_caught_up(_sse(server, batch_id, after=after), last)
        # AND resuming from the middle replays the missed events in order, ending with complete
        replay = _sse(server, batch_id, last_event_id=last - 3)
        assert [f["seq"] for f in replay] == [last - 2, last - 1, last] and replay[-1]["type"] == "complete"
        assert client.get(f"/v1/batches/{batch_id}/events", headers={"Last-Event-ID": "x"}).status_code == 400

    # GIVEN the server restarted (empty event history)
    with serve(data, workers=1) as server:
        for after in (0, last - 1, last, last + 100):
            _ends_caught_up(_sse(server, batch_id, last_event_id=after), last)
        # AND over the WebSocket, a subscribe that resumes gets caught up at once
        ws_url = server.url.replace("http", "ws") + "/v1/ws"
        with connect(ws_url, additional_headers=AUTH, open_timeout=10) as ws:
            for after in (0, last - 1, last + 7):
                ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id, "after": after}))
                message = json.loads(ws.recv(timeout=10))
                assert message["type"] == "snapshot" and message["seq"] == last
                assert message["batch"]["status"] == batch["status"]
            ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id, "after": -1}))
            assert json.loads(ws.recv(timeout=10))["type"] == "problem"
            ws.send(json.dumps({"action": "subscribe", "batch_id": "b" * 10_000}))
            assert json.loads(ws.recv(timeout=10))["code"] == "invalid_request"
