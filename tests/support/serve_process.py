"""``receiptflow serve`` as a real subprocess on a free loopback port (so it can be killed with SIGKILL)."""

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

from tests.support.live_server import free_port
from tests.support.scanning import clean_env

API_KEY = "key-proof"
TENANT = "proof"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
START_TIMEOUT_S = 60.0


class ServeProcess:
    """A running server: its URL and process."""

    def __init__(self, proc: subprocess.Popen[bytes], url: str) -> None:
        self.proc = proc
        self.url = url

    def client(self) -> httpx.Client:
        """An authenticated HTTP client on this server."""
        return httpx.Client(base_url=self.url, headers=AUTH, timeout=60)

    def kill9(self) -> None:
        """SIGKILL the server and its worker processes."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)


@contextmanager
def serve(
    data_dir: Path,
    workers: int = 2,
    *,
    log_level: str = "warning",
    log_file: Path | None = None,
    args: tuple[str, ...] = (),
    **env: str,
) -> Iterator[ServeProcess]:
    """Start ``receiptflow serve`` and wait until ``/health`` answers; stopped (SIGKILL) at the end.
    With ``log_file`` everything it prints (stdout and stderr) is appended there."""
    port = free_port()
    command = [sys.executable, "-m", "receiptflow", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--workers", str(workers), "--log-level", log_level, *args]
    log = log_file.open("ab") if log_file is not None else None
    proc = subprocess.Popen(
        command,
        env=clean_env(RECEIPTFLOW_API_KEYS=f"{TENANT}:{API_KEY}", RECEIPTFLOW_PROVIDER="local", **env),
        stdout=log or subprocess.DEVNULL,
        stderr=log or subprocess.DEVNULL,
        start_new_session=True,
    )
    server = ServeProcess(proc, f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"receiptflow serve exited with {proc.returncode}")
            try:
                if httpx.get(server.url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("receiptflow serve did not start in time")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            server.kill9()
        if log is not None:
            log.close()


def wait_batch(client: httpx.Client, batch_id: str, until: Any, timeout: float = 180.0) -> dict[str, Any]:
    """Poll the batch until ``until(batch)`` holds; fails at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        batch: dict[str, Any] = client.get(f"/v1/batches/{batch_id}").json()
        if until(batch):
            return batch
        if time.monotonic() > deadline:
            raise AssertionError(f"batch {batch_id} did not get there in {timeout:.0f} s: {batch}")
        time.sleep(0.1)


def all_results(client: httpx.Client, batch_id: str) -> list[dict[str, Any]]:
    """Every item of the batch through the paginated results endpoint."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/batches/{batch_id}/results", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
