"""``receiptflow serve`` as a user runs it: a subprocess on a loopback port. It refuses to start without
an API key, and a batch interrupted by a clean stop or by ``kill -9`` resumes when the server restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.legible_receipts import render_receipt
from tests.support.live_server import ALPHA, free_port

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).parent / "receiptflow"


def serve_env(**extra: str) -> dict[str, str]:
    """The environment without any RECEIPTFLOW_ settings from the caller, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECEIPTFLOW_")}
    env.update(extra)
    return env


def test_refuses_to_start_without_api_keys(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(CLI), "serve", "--data-dir", str(tmp_path), "--port", str(free_port())],
        env=serve_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no API keys configured" in done.stderr and "--dev-key" in done.stderr


@contextmanager
def serving(data_dir: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    """``receiptflow serve`` in a subprocess, ready once /health answers (bounded wait)."""
    proc = subprocess.Popen(
        [str(CLI), "serve", "--data-dir", str(data_dir), "--port", str(port), "--workers", "1"],
        env=serve_env(RECEIPTFLOW_API_KEYS="alpha:key-alpha"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "server did not come up"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def wait_for(client: httpx.Client, batch_id: str, done_at_least: int, timeout: float = 120) -> dict[str, Any]:
    """Poll until the batch has ``done_at_least`` finished items or is final; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = client.get(f"/v1/batches/{batch_id}").json()
        counts = view["counts"]
        if counts["succeeded"] + counts["failed"] >= done_at_least or view["status"] != "running":
            return view
        assert time.monotonic() < deadline, view
        time.sleep(0.2)


def test_restart_mid_batch_resumes(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    files = [("files", (f"r{n}.jpg", render_receipt(n), "image/jpeg")) for n in range(40, 48)]
    # GIVEN a running batch of eight receipts
    with serving(tmp_path, port) as proc, httpx.Client(base_url=base, headers=ALPHA, timeout=30) as client:
        batch_id = client.post("/v1/batches", json={"options": {"use_cache": False}}).json()["batch"][
            "batch_id"
        ]
        assert client.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202
        # WHEN the server is stopped cleanly (SIGTERM) after the first results
        assert wait_for(client, batch_id, 1)["status"] == "running"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(90) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a clean stop
        assert proc.stdout is not None and "Application shutdown complete" in proc.stdout.read()
    # THEN it restarts, resumes the batch, and a kill -9 later it resumes again and completes
    with serving(tmp_path, port) as proc, httpx.Client(base_url=base, headers=ALPHA, timeout=30) as client:
        view = client.get(f"/v1/batches/{batch_id}").json()
        assert view["status"] == "running", view
        before_kill = wait_for(client, batch_id, view["counts"]["succeeded"] + 1)
        proc.kill()
        proc.wait(30)
    with serving(tmp_path, port), httpx.Client(base_url=base, headers=ALPHA, timeout=30) as client:
        final = wait_for(client, batch_id, 8)
        deadline = time.monotonic() + 60
        while final["status"] == "running":
            assert time.monotonic() < deadline
            time.sleep(0.2)
            final = client.get(f"/v1/batches/{batch_id}").json()
        assert final["status"] == "succeeded", final
        assert final["counts"] == {"total": 8, "succeeded": 8, "failed": 0, "cancelled": 0, "cached": 0}
        assert before_kill["counts"]["succeeded"] <= 8
        items = client.get(f"/v1/batches/{batch_id}/results").json()["items"]
        assert sorted(i["source"] for i in items) == sorted(name for _, (name, _, _) in files)
        assert all(i["status"] == "succeeded" and i["result"]["receipt"] for i in items)
