"""Fixtures shared by every test level."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from receiptflow.settings import Settings, get_settings

REPO_ROOT = Path(__file__).resolve().parents[1]
# ``../shared`` beside the checkout; RECEIPTFLOW_SHARED_DIR points elsewhere (e.g. from a git worktree)
SHARED_DIR = Path(os.environ.get("RECEIPTFLOW_SHARED_DIR") or REPO_ROOT.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` (read-only project material); tests that need it skip cleanly without it."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is not present")
    return SHARED_DIR


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at a private data dir; the cached factory is reset around the test."""
    monkeypatch.setenv("RECEIPTFLOW_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A fresh SQLite file."""
    return tmp_path / "db" / "receiptflow.db"
