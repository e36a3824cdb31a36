"""End to end over HTTP: the whole bad-input corpus and good receipts uploaded to a real ``receiptflow
serve`` process, including a multipart file literally named ``../../x.jpg`` and one with odd Unicode and
control characters in its name. Every file gets its typed error (at upload when it breaks an upload
limit, else per item) or a correct result; the batch completes; nothing is written outside the data
dir; the server's process tree stays within a stated memory bound.

A subprocess rather than the in-process ``tests.support.live_server`` server, so its memory can be
measured alone.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bench.memory import PeakTreeRss
from tests.support.corpus import TRAVERSAL_NAME, Expected, build_corpus
from tests.support.serve_process import all_results, serve, wait_batch

pytestmark = pytest.mark.e2e

TRAVERSAL_UPLOAD = "../../x.jpg"
ODD_UPLOAD = "..\\..\\re\u00e7u \U0001f9fe\u202egpj.exe\x07\x1b[31m.jpg"
REJECTED_AT_UPLOAD = {"oversize_51mb.jpg": (413, "too_large")}
# Measured 2026-11-22 on 2 shared cores, 2 workers: ~920 MiB (the server process + two OCR workers);
# decoding the bomb alone would take 2.5 GB.
PEAK_RSS_LIMIT_MB = 1300


def test_the_whole_corpus_over_http_gets_typed_errors_and_the_batch_completes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    expected = build_corpus(folder)
    traversal = expected.pop(TRAVERSAL_NAME)
    uploads = [(Path(name).name, (folder / name).read_bytes()) for name in expected]
    uploads += [(TRAVERSAL_UPLOAD, (folder / TRAVERSAL_NAME).read_bytes())]
    uploads += [(ODD_UPLOAD, (folder / TRAVERSAL_NAME).read_bytes())]
    outcomes = [*expected.values(), traversal, traversal]
    want: dict[str, tuple[str, Expected]] = {}  # item id → (upload name, expectation)
    data = tmp_path / "srv" / "data"

    with serve(data) as server, server.client() as client, PeakTreeRss(server.proc.pid) as rss:
        # GIVEN a batch; WHEN every file is uploaded on its own
        batch_id = client.post("/v1/batches", json={"name": "bad inputs"}).json()["batch"]["batch_id"]
        for (name, content), expect in zip(uploads, outcomes, strict=True):
            response = client.post(
                f"/v1/batches/{batch_id}/files",
                files=[("files", (name, content, "application/octet-stream"))],
            )
            # THEN a file over an upload limit is refused with its typed problem; the others are items
            if name in REJECTED_AT_UPLOAD:
                assert (response.status_code, response.json()["code"]) == REJECTED_AT_UPLOAD[name]
            else:
                assert response.status_code == 201, (name, response.text)
                (item,) = response.json()["items"]
                want[item["item_id"]] = (name, expect)
        # WHEN the batch runs
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
        done = wait_batch(client, batch_id, lambda b: b["status"] not in ("created", "running"), timeout=300)
        items = all_results(client, batch_id)

    # THEN it completed with one item per accepted upload, and each item ended as expected
    assert done["status"] == "partially_failed"
    assert done["counts"]["total"] == len(items) == len(uploads) - len(REJECTED_AT_UPLOAD)
    assert sorted(i["item_id"] for i in items) == sorted(want)
    for item in items:
        name, expect = want[item["item_id"]]
        result = item["result"]
        code = result["error"]["code"] if result["error"] else None
        total = result["receipt"]["total"]["value"] if result["receipt"] else None
        assert (code, total) == (expect.code, str(expect.total) if expect.total else None), item["source"]
        assert item["status"] == ("failed" if expect.code else "succeeded")
        # the client's name is kept as a label only, without control characters
        assert not any(unicodedata.category(ch).startswith("C") for ch in item["source"])
        if name == ODD_UPLOAD:
            assert "re\u00e7u \U0001f9fe" in item["source"] and item["source"] != name
        else:
            assert item["source"] == name
    # AND client file names never became paths: every upload lives under the data dir's uploads folder
    stored = [p for p in data.rglob("*") if p.is_file() and "blobs" in p.parts]
    assert len(stored) == len(items) and all("uploads" in p.relative_to(data).parts for p in stored)
    assert not list(tmp_path.rglob("x.jpg"))
    # AND the server's memory stayed bounded
    print(f"peak RSS of the serve tree: {rss.peak_mb:.0f} MiB over {len(uploads)} uploads")  # noqa: T201
    assert rss.peak_mb < PEAK_RSS_LIMIT_MB
