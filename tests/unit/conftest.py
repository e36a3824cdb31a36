"""The unit tier: fast, and nothing outside this process. Every test here runs with the network, child
processes and the OCR model blocked, so a test that needs one fails loudly instead of quietly slowing the
tier down (it belongs in tests/integration or tests/e2e)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise RuntimeError(f"unit tests do not use {what}; move the test to tests/integration or tests/e2e")

    return refuse


@pytest.fixture(autouse=True)
def _nothing_outside_this_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No socket connects, no subprocess or child process, no OCR model."""
    monkeypatch.setattr(socket.socket, "connect", _refuse("the network"))
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse("the network"))
    monkeypatch.setattr(socket, "create_connection", _refuse("the network"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("subprocesses"))
    monkeypatch.setattr("multiprocessing.process.BaseProcess.start", _refuse("child processes"))
    for module in ("rapidocr", "onnxruntime"):  # importing them is what loads the OCR model
        monkeypatch.setitem(sys.modules, module, None)
    yield
