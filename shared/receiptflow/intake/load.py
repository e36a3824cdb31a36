"""``load_document``: raw upload bytes → a normalised ``Document`` (or a typed intake error)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from receiptflow.document import BlobRef, Document
from receiptflow.errors import EmptyFileError, TooLargeError
from receiptflow.intake.detect import detect_type
from receiptflow.intake.encode import pages_sha256
from receiptflow.intake.pdf import pdf_pages
from receiptflow.intake.quiet import ignore_pillow_input_warnings
from receiptflow.intake.raster import raster_pages
from receiptflow.settings import Settings

if TYPE_CHECKING:
    from receiptflow.deadline import Deadline


def load_document(
    data: bytes,
    *,
    settings: Settings,
    blob_ref: BlobRef | None = None,
    source_sha256: str | None = None,
    deadline: Deadline | None = None,
) -> Document:
    """Check, decode and normalise one file into upright, size-capped page images (``source_sha256``:
    the file's SHA-256 when the caller has it already, so it is not computed again).

    Raises an ``IntakeError`` subclass (``empty_file``, ``too_large``, ``unsupported_type``,
    ``corrupt_image``, ``too_many_pixels``, ``too_small``, ``too_many_pages``, ``empty_document``,
    ``encrypted_document``, ``resource_limit``) when the file cannot be used; ``ItemTimeoutError`` when
    ``deadline`` passes before a page or frame starts.
    """
    if not data:
        raise EmptyFileError("the file is empty")
    if len(data) > settings.max_file_bytes:
        raise TooLargeError(f"{len(data):,} bytes; the limit is {settings.max_file_bytes:,}")
    source_type = detect_type(data)
    ignore_pillow_input_warnings()
    if source_type == "pdf":
        pages = pdf_pages(data, settings, deadline)
    else:
        pages = raster_pages(data, source_type, settings, deadline)
    return Document(
        pages=pages,
        source_type=source_type,
        sha256=pages_sha256(pages),
        source_sha256=source_sha256 or hashlib.sha256(data).hexdigest(),
        source_bytes=len(data),
        blob_ref=blob_ref,
        original=data,
    )
