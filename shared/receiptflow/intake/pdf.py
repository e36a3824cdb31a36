"""PDF → page images with pypdfium2.

PDFium is not thread-safe, so every call into it holds one process-wide lock; the work under the lock is
bounded (at most ``settings.max_pages`` pages, each no larger than ``settings.max_side_px``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from receiptflow.document import PageImage
from receiptflow.errors import (
    CorruptImageError,
    EmptyDocumentError,
    EncryptedDocumentError,
    ResourceLimitError,
    TooManyPagesError,
    TooSmallError,
)
from receiptflow.intake.encode import encode_page
from receiptflow.intake.raster import to_rgb
from receiptflow.settings import Settings

if TYPE_CHECKING:
    import pypdfium2 as pdfium

RENDER_DPI = 200
_POINTS_PER_INCH = 72
_PDFIUM_LOCK = threading.Lock()


def render_scale(width_pt: float, height_pt: float, max_side_px: int) -> float:
    """Scale (pixels per point) for ~200 dpi, reduced so the longest side fits ``max_side_px``."""
    scale = RENDER_DPI / _POINTS_PER_INCH
    longest = max(width_pt, height_pt)
    return min(scale, max_side_px / longest) if longest > 0 else scale


def pdf_pages(data: bytes, settings: Settings) -> tuple[PageImage, ...]:
    """Render every page; typed errors for encrypted, empty, over-long or broken documents."""
    import pypdfium2 as pdfium  # PDFium only when a PDF arrives

    raw = pdfium.raw
    with _PDFIUM_LOCK:
        # The raw loader, not ``PdfDocument(bytes)``: that one rejects a zero-page document with whatever
        # stale code ``FPDF_GetLastError`` holds, so an empty PDF could pass for an encrypted one.
        handle = raw.FPDF_LoadMemDocument64(data, len(data), None)
        if not handle:
            code = raw.FPDF_GetLastError()
            if code == raw.FPDF_ERR_PASSWORD:
                raise EncryptedDocumentError("the PDF is password-protected")
            raise CorruptImageError(f"the PDF cannot be opened (PDFium error {code})")
        document = pdfium.PdfDocument(handle)  # ``data`` stays referenced here until it is closed
        try:
            count = len(document)
            if count == 0:
                raise EmptyDocumentError("the PDF has no pages")
            if count > settings.max_pages:
                raise TooManyPagesError(f"{count} pages; the limit is {settings.max_pages}")
            return tuple(_render(document, index, settings) for index in range(count))
        finally:
            document.close()


def count_page_objects(page: pdfium.PdfPage, limit: int) -> int:
    """Objects a loaded page draws, form XObjects counted with everything they draw (forms nested in
    forms fan out: a few KB of PDF can draw millions of objects). Stops counting past ``limit``, so the
    count costs at most ``limit`` steps; rendering would cost as much again per object."""
    import pypdfium2 as pdfium

    raw = pdfium.raw
    total = 0
    containers: list[tuple[Any, bool]] = [(page.raw, False)]  # (handle, is a form object)
    while containers and total <= limit:
        handle, is_form = containers.pop()
        count = raw.FPDFFormObj_CountObjects(handle) if is_form else raw.FPDFPage_CountObjects(handle)
        total += max(int(count), 0)
        for i in range(max(int(count), 0)):
            if total > limit:
                break
            obj = raw.FPDFFormObj_GetObject(handle, i) if is_form else raw.FPDFPage_GetObject(handle, i)
            if raw.FPDFPageObj_GetType(obj) == raw.FPDF_PAGEOBJ_FORM:
                containers.append((obj, True))
    return total


def _render(document: pdfium.PdfDocument, index: int, settings: Settings) -> PageImage:
    import pypdfium2 as pdfium

    try:
        page = document[index]
        try:
            drawn = count_page_objects(page, settings.max_pdf_objects)
            if drawn > settings.max_pdf_objects:
                raise ResourceLimitError(
                    f"page {index + 1} of the PDF draws more than {settings.max_pdf_objects:,} objects "
                    "(nested forms); the limit is max_pdf_objects"
                )
            width_pt, height_pt = page.get_size()
            scale = render_scale(width_pt, height_pt, settings.max_side_px)
            bitmap = page.render(scale=scale)
            image = to_rgb(bitmap.to_pil())
        finally:
            page.close()
    except pdfium.PdfiumError as e:
        raise CorruptImageError(f"page {index + 1} of the PDF cannot be rendered: {e}") from e
    if min(image.size) < settings.min_side_px:
        raise TooSmallError(f"page {index + 1} renders to {image.width}x{image.height} px")
    return encode_page(image)
