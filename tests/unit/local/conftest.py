"""Fixtures for the embedded adapters: real SQLite in tmp dirs (``db_path`` is in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from receiptflow.adapters.embedded.batch_store import SqliteBatchStore
from receiptflow.adapters.embedded.cache import SqliteResultCache
from receiptflow.models import Batch, BatchItem


@pytest.fixture
def store(db_path: Path) -> SqliteBatchStore:
    """A batch store on the fresh file."""
    return SqliteBatchStore(db_path)


@pytest.fixture
def cache(db_path: Path) -> SqliteResultCache:
    """A result cache on the same file as ``store``."""
    return SqliteResultCache(db_path)


def new_batch(store: SqliteBatchStore, batch_id: str, n_items: int, tenant: str = "local") -> Batch:
    """Create a batch with ``n_items`` pending items named ``i000``..."""
    store.create_batch(Batch(batch_id=batch_id, tenant_id=tenant))
    store.add_items(
        [BatchItem(batch_id=batch_id, item_id=f"i{i:03d}", source=f"s{i}.jpg") for i in range(n_items)]
    )
    return store.get_batch(tenant, batch_id)
