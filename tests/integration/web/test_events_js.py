"""Runs the reference JavaScript client's unit tests (``events.test.mjs``) with node's test runner."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def test_reference_client_rules_under_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    test_file = Path(__file__).with_name("events.test.mjs")
    done = subprocess.run([node, "--test", str(test_file)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# fail 0" in done.stdout and "# pass 5" in done.stdout
