"""Helpers for suites parametrised over the embedded and AWS adapters of a port."""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.clock import FakeClock

BACKENDS = ["embedded", "aws"]


@dataclass(frozen=True)
class AwsResources:
    """Physical names of the moto resources built from the template."""

    table: str
    bucket: str


def embedded_class(module: str, name: str) -> Any:
    """The embedded adapter class. A module that fails to import, or lacks the class, fails the test: a
    contract suite that skips a backend would prove nothing about it."""
    cls = getattr(importlib.import_module(module), name, None)
    if cls is None:
        pytest.fail(f"embedded adapter {module}.{name} does not exist")
    return cls


def build(cls: Any, *args: Any, clock: FakeClock) -> Any:
    """``cls(*args, clock=clock)`` when the adapter reads the time (entries expire), else ``cls(*args)``."""
    return cls(*args, clock=clock) if "clock" in inspect.signature(cls).parameters else cls(*args)
