"""Walking a batch's items page by page through the store (any ``BatchStore``)."""

from __future__ import annotations

from collections.abc import Iterator

from receiptflow.models import BatchItem, ItemStatus
from receiptflow.ports import BatchStore

PAGE = 500


def iter_items(store: BatchStore, batch_id: str, status: ItemStatus | None = None) -> Iterator[BatchItem]:
    """Every item of the batch (optionally only those with ``status``), in ``item_id`` order."""
    after: str | None = None
    while True:
        page = store.list_items(batch_id, status=status, after=after, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        after = page[-1].item_id
