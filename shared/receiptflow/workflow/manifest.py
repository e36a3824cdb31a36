"""The Distributed Map manifest: the pending items of one execution, by reference, as a JSON array in S3."""

from __future__ import annotations

import json

from receiptflow.models import BatchItem, ItemStatus
from receiptflow.paging import iter_items
from receiptflow.ports import BatchStore, BlobStore
from receiptflow.workflow.naming import manifest_key
from receiptflow.workflow.payloads import ManifestEntry


def pending_items(store: BatchStore, batch_id: str) -> list[BatchItem]:
    """Every pending item of the batch, in ``item_id`` order."""
    return list(iter_items(store, batch_id, ItemStatus.PENDING))


def write_manifest(
    blobs: BlobStore, batch_id: str, run_name: str, items: list[BatchItem]
) -> tuple[str, list[ManifestEntry]]:
    """Store the manifest for ``run_name``; returns its key and entries."""
    entries = [ManifestEntry(item_id=item.item_id) for item in items]
    key = manifest_key(batch_id, run_name)
    body = json.dumps([entry.model_dump() for entry in entries], separators=(",", ":")).encode()
    blobs.put(key, body, "application/json")
    return key, entries
