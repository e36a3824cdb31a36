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
    """The embedded adapter class, or skip the embedded parametrisation with a clear reason."""
    pytest.importorskip(module, reason=f"embedded adapter module {module} is not written yet")
    cls = getattr(importlib.import_module(module), name, None)
    if cls is None:
        pytest.skip(f"embedded adapter {module}.{name} is not written yet")
    return cls


def takes_clock(cls: Any) -> bool:
    """True when the adapter class accepts ``clock=``."""
    return "clock" in inspect.signature(cls).parameters


def build(cls: Any, *args: Any, clock: FakeClock) -> Any:
    """``cls(*args, clock=clock)`` when the adapter takes a clock, else ``cls(*args)``."""
    return cls(*args, clock=clock) if takes_clock(cls) else cls(*args)
