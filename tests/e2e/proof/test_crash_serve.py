"""End to end: ``receiptflow serve`` killed with SIGKILL at about half of a batch, then started again on
the same data: the batch resumes by itself and completes; every item exactly once, nothing redone."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore

from tests.support.known_receipts import RECEIPTS, render
from tests.support.serve_process import all_results, serve, wait_batch

pytestmark = pytest.mark.e2e

ITEMS = 12


def test_kill_9_of_serve_at_half_way_then_restart_resumes_and_completes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    files = [
        (f"r{n:02d}.jpg", render(RECEIPTS[n % len(RECEIPTS)], noise=n // len(RECEIPTS))) for n in range(ITEMS)
    ]
    # GIVEN a started batch of 12 receipts on a server
    with serve(data) as server, server.client() as client:
        created = client.post("/v1/batches", json={"name": "crash"}).json()
        batch_id = created["batch"]["batch_id"]
        upload = client.post(
            f"/v1/batches/{batch_id}/files", files=[("files", (n, d, "image/jpeg")) for n, d in files]
        )
        assert upload.status_code == 201, upload.text
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
        # WHEN the server is killed with SIGKILL at about half way
        wait_batch(client, batch_id, lambda b: b["counts"]["succeeded"] >= ITEMS // 2)
        server.kill9()

    store = SqliteBatchStore(data / "receiptflow.db")
    before = {i.item_id: i.result for i in store.list_items(batch_id) if i.status.terminal}
    assert ITEMS // 2 <= len(before) < ITEMS
    assert store.get_batch("proof", batch_id).status == "running"

    # THEN a restarted server resumes the batch by itself and completes it
    with serve(data) as server, server.client() as client:
        done = wait_batch(client, batch_id, lambda b: b["status"] not in ("created", "running"))
        assert done["status"] == "succeeded"
        assert (done["counts"]["total"], done["counts"]["succeeded"], done["counts"]["failed"]) == (
            ITEMS,
            ITEMS,
            0,
        )
        items = all_results(client, batch_id)

    # AND every item is there exactly once, with a receipt; finished results were not redone
    assert sorted(i["source"] for i in items) == sorted(name for name, _ in files)
    assert len({i["item_id"] for i in items}) == ITEMS
    assert all(i["status"] == "succeeded" and i["result"]["status"] == "ok" for i in items)
    after = {i.item_id: i.result for i in store.list_items(batch_id)}
    assert all(after[k] == v for k, v in before.items())
