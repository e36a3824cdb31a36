"""A real uvicorn server on a loopback port, in a thread, for tests over HTTP and WebSocket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from receiptflow.api import ApiServices, create_app
from receiptflow.settings import Settings
from receiptflow.wiring.local import LocalRoot

KEYS = {"key-alpha": "alpha", "key-beta": "beta"}
ALPHA = {"Authorization": "Bearer key-alpha"}
BETA = {"Authorization": "Bearer key-beta"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A running server: its base URLs, settings and local composition root."""

    url: str
    ws_url: str
    settings: Settings
    root: LocalRoot
    services: ApiServices

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        """An HTTP client on this server."""
        return httpx.Client(base_url=self.url, headers=headers or {}, timeout=60)


def server_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test server: private data dir, one worker process, the test keys."""
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "workers": 1,
        "api_keys": ",".join(f"{tenant}:{key}" for key, tenant in KEYS.items()),
        "provider": "local",
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def live_server(settings: Settings, keys: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Serve the local app on a free loopback port until the block ends (clean shutdown, bounded)."""
    root = LocalRoot(settings)
    services = root.api_services(keys or KEYS)
    port = free_port()
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", settings, root, services)
    finally:
        server.should_exit = True
        thread.join(90)
