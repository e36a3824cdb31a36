"""Fixtures for the API tests: one live loopback server per module, with real embedded parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer, live_server, server_settings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A uvicorn server on a free port over a private data dir (SQLite, blobs, local OCR runner)."""
    data_dir: Path = tmp_path_factory.mktemp("api-data")
    with live_server(server_settings(data_dir)) as live:
        yield live
