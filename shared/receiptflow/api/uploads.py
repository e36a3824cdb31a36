"""Where a new batch's files go: the app's own multipart route locally, one presigned S3 POST per file in
AWS (the files announced at create are registered as items at once, so the batch knows what it waits for)."""

from __future__ import annotations

from typing import Any, Protocol

from receiptflow.api.routes.batches import clean_source
from receiptflow.api.schemas import FileSpec, UploadTarget
from receiptflow.batches.service import BatchService
from receiptflow.blob_keys import upload_prefix
from receiptflow.models import Batch, BatchItem

UPLOAD_EXPIRES_SECONDS = 900


class LocalUploads:
    """Locally the app itself takes the files: one multipart target, the ``files`` route."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes

    def targets(self, batch: Batch, files_url: str, files: list[FileSpec]) -> list[UploadTarget]:
        """The ``files`` route, for any number of files."""
        return [UploadTarget(url=files_url, file_field="files", max_bytes=self._max_bytes)]


class PresignedPoster(Protocol):
    """A blob store that can sign a browser upload form (the S3 blob store)."""

    def presigned_post(
        self, key: str, content_type: str, max_bytes: int, expires: int = 900
    ) -> dict[str, Any]:
        """A form for exactly ``key``: ``{"url": ..., "fields": {...}}``."""
        ...


class PresignedUploads:
    """One presigned S3 POST per announced file, each pinned to its key, content type and max size. The
    items are registered now, so the batch knows every file it waits for (one never uploaded becomes a
    typed error at start)."""

    def __init__(self, batches: BatchService, poster: PresignedPoster, max_bytes: int) -> None:
        self._batches = batches
        self._poster = poster
        self._max_bytes = max_bytes

    def targets(self, batch: Batch, files_url: str, files: list[FileSpec]) -> list[UploadTarget]:
        """One form per announced file, and its item."""
        items: list[BatchItem] = []
        targets: list[UploadTarget] = []
        for n, spec in enumerate(files, start=1):
            item_id = f"{n:05d}"
            key = upload_prefix(batch.tenant_id, batch.batch_id) + item_id
            source = clean_source(spec.name, f"file-{item_id}")
            post = self._poster.presigned_post(
                key, spec.content_type, self._max_bytes, UPLOAD_EXPIRES_SECONDS
            )
            items.append(BatchItem(batch_id=batch.batch_id, item_id=item_id, source=source, blob_key=key))
            targets.append(
                UploadTarget(
                    url=str(post["url"]),
                    fields={str(k): str(v) for k, v in post["fields"].items()},
                    file_field="file",
                    max_bytes=self._max_bytes,
                    item_id=item_id,
                    key=key,
                    source=source,
                    content_type=spec.content_type,
                    expires_in=UPLOAD_EXPIRES_SECONDS,
                )
            )
        if items:
            self._batches.add_items(batch, items)
        return targets
