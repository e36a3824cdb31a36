"""Batches: create, upload files, start, read, cancel, retry the failed items."""

from __future__ import annotations

import hashlib
import threading
import unicodedata
import uuid
import weakref
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile, status

from receiptflow.api.deps import OwnedBatch, Services, Tenant
from receiptflow.api.schemas import BatchCreate, BatchCreated, BatchView, UploadAccepted
from receiptflow.api.views import batch_view
from receiptflow.blob_keys import upload_prefix
from receiptflow.errors import ConflictError, LimitExceededError, TooLargeError
from receiptflow.models import Batch, BatchItem, BatchStatus
from receiptflow.ports import BlobStore

router = APIRouter(prefix="/v1/batches", tags=["batches"])

_upload_locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_locks_guard = threading.Lock()


def _batch_lock(batch_id: str) -> threading.Lock:
    with _locks_guard:
        lock = _upload_locks.get(batch_id)
        if lock is None:
            lock = threading.Lock()
            _upload_locks[batch_id] = lock
        return lock


def clean_source(name: str | None, fallback: str) -> str:
    """The client's file name kept as a label only: control characters removed, length capped."""
    text = "".join(ch for ch in (name or "") if unicodedata.category(ch)[0] != "C")
    return text.strip()[:255] or fallback


@router.post("", status_code=status.HTTP_201_CREATED)
def create_batch(
    body: BatchCreate, request: Request, response: Response, tenant: Tenant, services: Services
) -> BatchCreated:
    """Create a batch; returns it with the upload targets for its files (``Location``: the batch)."""
    if body.announced > services.settings.max_files_per_batch:  # before anything is built for them
        raise LimitExceededError(f"at most {services.settings.max_files_per_batch} files per batch")
    specs = body.file_specs()
    batch = Batch(
        batch_id=uuid.uuid4().hex,
        tenant_id=tenant,
        name=body.name,
        expected_files=len(specs) or None,
        options=body.options,
    )
    batch = services.batches.create(batch)
    files_url = str(request.url_for("upload_files", batch_id=batch.batch_id))
    targets = services.uploads.targets(batch, files_url, specs)
    response.headers["Location"] = request.url_for("get_batch", batch_id=batch.batch_id).path
    return BatchCreated(batch=batch_view(services.batches.get(tenant, batch.batch_id)), uploads=targets)


@router.get("")
def list_batches(
    tenant: Tenant, services: Services, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[BatchView]:
    """The caller's batches, newest first (``limit`` 1..200)."""
    return [batch_view(b) for b in services.batches.list_batches(tenant, limit=limit)]


@router.get("/{batch_id}", name="get_batch")
def get_batch(batch: OwnedBatch) -> BatchView:
    """Status, counts, rate, ETA and cost estimate."""
    return batch_view(batch)


@router.post("/{batch_id}/files", status_code=status.HTTP_201_CREATED, name="upload_files")
def upload_files(
    batch: OwnedBatch,
    services: Services,
    request: Request,
    response: Response,
    files: Annotated[list[UploadFile], File(description="repeatable")],
) -> UploadAccepted:
    """Store uploaded files (multipart field ``files``, repeatable) as new items of a created batch
    (``Location``: the first new item).

    Only upload limits are checked here; whether a file is a usable image is decided when it is scanned,
    and a bad one becomes that item's typed error."""
    settings = services.settings
    for upload in files:
        if upload.size is not None and upload.size > settings.max_file_bytes:
            raise TooLargeError(
                f"{clean_source(upload.filename, 'file')!r} is over {settings.max_file_bytes} bytes"
            )
    with _batch_lock(batch.batch_id):
        current = services.store.get_batch(batch.tenant_id, batch.batch_id)
        if current.status is not BatchStatus.CREATED:
            raise ConflictError(f"files can only be added before the batch starts (it is {current.status})")
        if current.counts.total + len(files) > settings.max_files_per_batch:
            raise LimitExceededError(f"at most {settings.max_files_per_batch} files per batch")
        items = [
            _store_upload(services.blobs, current, current.counts.total + n, upload, settings.max_file_bytes)
            for n, upload in enumerate(files, start=1)
        ]
        if services.batches.add_items(current, items) != len(items):
            raise ConflictError("some item ids already existed; retry the upload")
    if items:
        location = request.url_for("get_item", batch_id=batch.batch_id, item_id=items[0].item_id)
        response.headers["Location"] = location.path
    return UploadAccepted(
        batch=batch_view(services.store.get_batch(batch.tenant_id, batch.batch_id)), items=items
    )


def _store_upload(blobs: BlobStore, batch: Batch, n: int, upload: UploadFile, max_bytes: int) -> BatchItem:
    item_id = f"{n:05d}"
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise TooLargeError(f"{clean_source(upload.filename, item_id)!r} is over {max_bytes} bytes")
    key = upload_prefix(batch.tenant_id, batch.batch_id) + item_id
    blobs.put(key, data, upload.content_type or "application/octet-stream")
    return BatchItem(
        batch_id=batch.batch_id,
        item_id=item_id,
        source=clean_source(upload.filename, f"file-{item_id}"),
        blob_key=key,
        sha256=hashlib.sha256(data).hexdigest(),
    )


@router.post("/{batch_id}/start", status_code=status.HTTP_202_ACCEPTED)
def start_batch(batch: OwnedBatch, services: Services) -> BatchView:
    """Start processing the batch's items (409 once started)."""
    return batch_view(services.batches.start(batch))


@router.delete("/{batch_id}", status_code=status.HTTP_202_ACCEPTED)
def cancel_batch(batch: OwnedBatch, services: Services) -> BatchView:
    """Cancel: no item starts after this answer; pending items become cancelled at once, items in flight
    finish and keep their results, and the batch goes ``cancelling`` → ``cancelled`` (409 once finished)."""
    return batch_view(services.batches.cancel(batch))


@router.post("/{batch_id}/retry-failed", status_code=status.HTTP_202_ACCEPTED)
def retry_failed(batch: OwnedBatch, services: Services) -> BatchView:
    """Scan the failed (and cancelled) items of a finished batch again (409 while the batch runs)."""
    return batch_view(services.batches.retry_failed(batch))
