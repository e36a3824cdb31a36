"""An item's image: the file as uploaded, a small thumbnail, and each page as the scanner saw it.

Tenant-checked like every item route (another tenant's item is a 404 like a missing one). The
thumbnail and page renders are made on first request and kept in the blob store next to nothing the
client controls (``previews/…``), so later requests only read them. Field boxes (``FieldBox``) are
fractions of the page renders, which are upright (EXIF orientation applied) and uncropped.
"""

from __future__ import annotations

import io
from typing import Annotated, Any, Protocol, runtime_checkable

from fastapi import APIRouter, Path
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from receiptflow.api.deps import OwnedBatch, Services
from receiptflow.api.services import ApiServices
from receiptflow.blob_keys import preview_key
from receiptflow.errors import IntakeError, NotFoundError
from receiptflow.models import BatchItem

router = APIRouter(prefix="/v1/batches/{batch_id}/items/{item_id}", tags=["items"])

THUMBNAIL_SIDE = 320
PAGE_SIDE = 1600
JPEG_QUALITY = 82
PRESIGNED_SECONDS = 300
_MEDIA_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "heif": "image/heic",
    "pdf": "application/pdf",
}
# User content served from the API's origin: never sniffed, never run as a page.
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, max-age=3600",
}
_JPEG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/jpeg": {}}, "description": "a JPEG image"}}


@runtime_checkable
class PresignedReads(Protocol):
    """A blob store that can hand out a short-lived direct download link (S3)."""

    def presigned_get(self, key: str, expires: int, content_type: str | None = None) -> str:
        """A URL that downloads ``key`` without credentials until ``expires`` seconds from now."""
        ...


def media_type(data: bytes) -> str:
    """The media type of an uploaded file, from its magic bytes (``application/octet-stream`` when the
    file is not a supported image)."""
    from receiptflow.intake.detect import detect_type

    try:
        return _MEDIA_TYPES.get(detect_type(data), "application/octet-stream")
    except IntakeError:
        return "application/octet-stream"


def render_jpeg(data: bytes, services: ApiServices, page: int, max_side: int) -> bytes:
    """Page ``page`` of the file as the scanner normalises it, scaled to fit ``max_side``, as JPEG.

    Raises the file's intake error (e.g. ``corrupt_image``) and ``NotFoundError`` past the last page."""
    from PIL import Image  # not at import time: the API Lambda's cold start stays light

    from receiptflow.intake.load import load_document

    document = load_document(data, settings=services.settings)
    if page >= len(document.pages):
        raise NotFoundError(f"the file has {len(document.pages)} page(s); page {page} does not exist")
    with Image.open(io.BytesIO(document.pages[page].data)) as image:
        rgb = image.convert("RGB")
        rgb.thumbnail((max_side, max_side))
        out = io.BytesIO()
        rgb.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        return out.getvalue()


def _item_with_file(services: ApiServices, batch_id: str, item_id: str) -> BatchItem:
    item = services.store.get_item(batch_id, item_id)
    if item.blob_key is None or not services.blobs.exists(item.blob_key):
        raise NotFoundError(f"item {item_id} has no stored file")
    return item


def _cached_render(services: ApiServices, item: BatchItem, name: str, page: int, max_side: int) -> bytes:
    key = preview_key(item, name)
    if services.blobs.exists(key):
        return services.blobs.get(key)
    assert item.blob_key is not None
    rendered = render_jpeg(services.blobs.get(item.blob_key), services, page, max_side)
    services.blobs.put(key, rendered, "image/jpeg")
    return rendered


@router.get(
    "/image",
    response_class=Response,
    responses={
        200: {"content": {"image/*": {}, "application/pdf": {}}, "description": "the file as uploaded"},
        307: {"description": "AWS: a short-lived presigned S3 link to the file (follow it without auth)"},
    },
)
def get_image(batch: OwnedBatch, item_id: str, services: Services) -> Response:
    """The file as uploaded, with its detected media type (``application/octet-stream`` as an attachment
    when it is not a supported image). Where the blob store can presign (S3), a 307 to a direct link."""
    item = _item_with_file(services, batch.batch_id, item_id)
    assert item.blob_key is not None
    if isinstance(services.blobs, PresignedReads):
        url = services.blobs.presigned_get(item.blob_key, PRESIGNED_SECONDS)
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})
    data = services.blobs.get(item.blob_key)
    kind = media_type(data)
    headers = dict(_SAFE_HEADERS)
    if kind == "application/octet-stream":
        headers["Content-Disposition"] = "attachment"
    return Response(data, media_type=kind, headers=headers)


@router.get("/thumbnail", response_class=Response, responses=_JPEG)
async def get_thumbnail(batch: OwnedBatch, item_id: str, services: Services) -> Response:
    """The first page as a small JPEG (longest side 320 px), made once and kept. A file that is not a
    usable image answers its typed problem (e.g. 422 ``corrupt_image``)."""

    def make() -> bytes:
        item = _item_with_file(services, batch.batch_id, item_id)
        return _cached_render(services, item, "thumbnail.jpg", 0, THUMBNAIL_SIDE)

    return Response(await run_in_threadpool(make), media_type="image/jpeg", headers=_SAFE_HEADERS)


@router.get("/pages/{page}", response_class=Response, responses=_JPEG)
async def get_page(
    batch: OwnedBatch,
    item_id: str,
    services: Services,
    page: Annotated[int, Path(ge=0, le=99, description="0-based, as in a field's box.page")],
) -> Response:
    """One page upright and uncropped, as the scanner read it (longest side 1600 px): field boxes are
    fractions of this image. Works for every accepted type (PDF, HEIC, TIFF …)."""

    def make() -> bytes:
        item = _item_with_file(services, batch.batch_id, item_id)
        return _cached_render(services, item, f"page-{page}.jpg", page, PAGE_SIDE)

    return Response(await run_in_threadpool(make), media_type="image/jpeg", headers=_SAFE_HEADERS)
