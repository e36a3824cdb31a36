"""The S3 drop folder: ``inbox/<tenant>/<folder>/…`` becomes one batch when a ``_READY`` marker lands.

Batching rule (docs/deploy.md): files are uploaded first, then an object named ``_READY`` closes the
folder. Only the marker's event starts anything; every other object event is acknowledged and ignored,
because an S3 object is complete and atomic by the time its event fires, so listing the folder when the
marker arrives sees every file uploaded before it. Keys ending in ``/`` ("folder" placeholders) and the
marker are not items; every other object becomes one item (an empty or non-image file becomes that
item's typed error, never a silent drop).

Idempotency: the batch id is derived from tenant, folder and the marker's identity (sequencer, ETag,
version), the batch is created with a conditional write, item ids are positions in the sorted listing,
and the execution name is derived from the batch id, so a redelivered event starts nothing new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from receiptflow.errors import ConflictError
from receiptflow.models import Batch, BatchItem, BatchStatus
from receiptflow.ports import Orchestrator
from receiptflow.workflow.deps import Workflow

INBOX_PREFIX = "inbox/"
READY_MARKER = "_READY"


@dataclass(frozen=True)
class InboxKey:
    """A key under ``inbox/<tenant>/<folder>/<name>`` (``name`` may contain further ``/``)."""

    tenant_id: str
    folder: str
    name: str

    @property
    def folder_prefix(self) -> str:
        """The folder's key prefix, ending in ``/``."""
        return f"{INBOX_PREFIX}{self.tenant_id}/{self.folder}/"


def parse_inbox_key(key: str) -> InboxKey | None:
    """The parts of an inbox key; None outside ``inbox/<tenant>/<folder>/`` and for folder placeholders."""
    if not key.startswith(INBOX_PREFIX) or key.endswith("/"):
        return None
    parts = key[len(INBOX_PREFIX) :].split("/", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return InboxKey(tenant_id=parts[0], folder=parts[1], name=parts[2])


@dataclass(frozen=True)
class ObjectCreated:
    """The parts of an S3 "Object Created" event the ingest rule needs."""

    bucket: str
    key: str
    size: int | None = None
    etag: str | None = None
    sequencer: str | None = None
    version_id: str | None = None


class IngestResult(StrEnum):
    """What the ingest step did with one event."""

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
    """The batch id a marker event stands for: the same for every delivery of that event, new for a
    new marker upload (S3 gives each write a new sequencer)."""
    identity = "|".join(
        [inbox.tenant_id, inbox.folder, event.sequencer or "", event.etag or "", event.version_id or ""]
    )
    return "inbox-" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def folder_items(workflow: Workflow, inbox: InboxKey, batch_id: str) -> list[BatchItem]:
    """One item per object in the folder (sorted by key; the marker and placeholders excluded)."""
    prefix = inbox.folder_prefix
    keys = [
        key
        for key in workflow.blobs.list_keys(prefix)
        if not key.endswith("/") and key[len(prefix) :] != READY_MARKER
    ]
    return [
        BatchItem(batch_id=batch_id, item_id=f"{n:05d}", source=key[len(prefix) :], blob_key=key)
        for n, key in enumerate(sorted(keys), start=1)
    ]


def ingest_object(workflow: Workflow, orchestrator: Orchestrator, event: ObjectCreated) -> IngestOutcome:
    """Apply the batching rule to one object event (see the module docstring)."""
    inbox = parse_inbox_key(event.key)
    if inbox is None:
        return IngestOutcome(IngestResult.IGNORED, "not a file under inbox/<tenant>/<folder>/")
    if inbox.name != READY_MARKER:
        return IngestOutcome(IngestResult.IGNORED, f"waiting for {READY_MARKER}", tenant_id=inbox.tenant_id)

    batch_id = inbox_batch_id(inbox, event)
    items = folder_items(workflow, inbox, batch_id)
    if not items:
        return IngestOutcome(IngestResult.EMPTY, "the folder holds no files", batch_id, inbox.tenant_id)

    store = workflow.store
    batch = Batch(batch_id=batch_id, tenant_id=inbox.tenant_id, name=inbox.folder, expected_files=len(items))
    try:
        store.create_batch(batch)
    except ConflictError:
        batch = store.get_batch(inbox.tenant_id, batch_id)
    store.add_items(items)  # idempotent per item_id
    if batch.status is not BatchStatus.CREATED:
        return IngestOutcome(
            IngestResult.ALREADY_STARTED,
            f"batch is {batch.status.value}",
            batch_id,
            inbox.tenant_id,
            len(items),
            batch.execution_arn,
        )
    execution = orchestrator.start(store.get_batch(inbox.tenant_id, batch_id))
    return IngestOutcome(IngestResult.STARTED, "", batch_id, inbox.tenant_id, len(items), execution)
