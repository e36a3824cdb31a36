"""The drop folder: ``inbox/<tenant>/<folder>/…`` becomes one batch when a ``_READY`` marker lands.

Batching rule (docs/deploy.md): files are uploaded first, then an object named ``_READY`` closes the
folder. Only the marker's event starts anything; every other object event is acknowledged and ignored,
because an object is complete by the time its event fires, so listing the folder when the marker
arrives sees every file uploaded before it. Keys ending in ``/`` ("folder" placeholders) and the marker
are not items; every other object becomes one item (an empty or non-image file becomes that item's typed
error, never a silent drop).

Idempotency: the batch id is derived from tenant, folder and the marker's identity (sequencer, ETag,
version), the batch is created with a conditional write, item ids are positions in the sorted listing,
and the start is a compare-and-set, so a redelivered event starts nothing new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from receiptflow.batches.service import BatchService
from receiptflow.blob_keys import READY_MARKER, InboxKey, parse_inbox_key
from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchItem, BatchStatus
from receiptflow.ports import BlobStore


@dataclass(frozen=True)
class ObjectCreated:
    """The parts of an "Object Created" event the rule needs."""

    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    sequencer: str | None = None
    version_id: str | None = None


class IngestResult(StrEnum):
    """What the rule did with one event."""

    IGNORED = "ignored"
    STARTED = "started"
    ALREADY_STARTED = "already_started"
    EMPTY = "empty"


@dataclass(frozen=True)
class IngestOutcome:
    """The result of one event, with the batch it concerns (if any)."""

    result: IngestResult
    reason: str = ""
    batch_id: str | None = None
    tenant_id: str | None = None
    items: int = 0
    execution: str | None = None


def inbox_batch_id(inbox: InboxKey, event: ObjectCreated) -> str:
    """The batch id a marker event stands for: the same for every delivery of that event, new for a new
    marker upload (each write gets a new sequencer)."""
    identity = "|".join(
        [inbox.tenant_id, inbox.folder, event.sequencer or "", event.etag or "", event.version_id or ""]
    )
    return "inbox-" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def folder_items(blobs: BlobStore, inbox: InboxKey, batch_id: str) -> list[BatchItem]:
    """One item per object in the folder (sorted by key; the marker and placeholders excluded)."""
    prefix = inbox.folder_prefix
    keys = [
        key for key in blobs.list_keys(prefix) if not key.endswith("/") and key[len(prefix) :] != READY_MARKER
    ]
    return [
        BatchItem(batch_id=batch_id, item_id=f"{n:05d}", source=key[len(prefix) :], blob_key=key)
        for n, key in enumerate(sorted(keys), start=1)
    ]


def ingest_object(service: BatchService, blobs: BlobStore, event: ObjectCreated) -> IngestOutcome:
    """Apply the batching rule to one object event (see the module docstring)."""
    inbox = parse_inbox_key(event.key)
    if inbox is None:
        return IngestOutcome(IngestResult.IGNORED, "not a file under inbox/<tenant>/<folder>/")
    if not inbox.is_marker:
        return IngestOutcome(IngestResult.IGNORED, f"waiting for {READY_MARKER}", tenant_id=inbox.tenant_id)

    batch_id = inbox_batch_id(inbox, event)
    items = folder_items(blobs, inbox, batch_id)
    if not items:
        return IngestOutcome(IngestResult.EMPTY, "the folder holds no files", batch_id, inbox.tenant_id)

    batch = Batch(batch_id=batch_id, tenant_id=inbox.tenant_id, name=inbox.folder, expected_files=len(items))
    try:
        batch = service.create(batch)
    except ConflictError:
        batch = service.get(inbox.tenant_id, batch_id)
    if batch.status is BatchStatus.CREATED:
        try:
            service.add_items(batch, items)  # idempotent per item id
            batch = service.start(service.get(inbox.tenant_id, batch_id))
            return IngestOutcome(
                IngestResult.STARTED, "", batch_id, inbox.tenant_id, len(items), batch.execution_arn
            )
        except ConflictError:  # a concurrent delivery started it first
            batch = service.get(inbox.tenant_id, batch_id)
    return IngestOutcome(
        IngestResult.ALREADY_STARTED,
        f"batch is {batch.status.value}",
        batch_id,
        inbox.tenant_id,
        len(items),
        batch.execution_arn,
    )
