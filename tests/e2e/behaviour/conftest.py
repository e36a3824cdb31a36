"""Every scenario of this folder runs once per dispatcher: the local process pool and Step Functions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.behaviour.drivers import Driver, driver_for


@pytest.fixture(params=["local", "aws"])
def driver(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Driver]:
    """The mode under test, fresh for each scenario."""
    with driver_for(request.param, monkeypatch, tmp_path) as driver:
        yield driver
