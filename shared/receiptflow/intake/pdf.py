"""PDF → page images with pypdfium2.

PDFium is not thread-safe, so every call into it holds one process-wide lock; the work under the lock is
bounded (at most ``settings.max_pages`` pages, each no larger than ``settings.max_side_px``, drawing at
most ``settings.max_pdf_objects`` objects and ``settings.max_pixels`` image pixels). What is left
unbounded is the time some constructs take to render (a tiling pattern with a tiny step repeats its cell
millions of times) and the memory PDFium needs to *load* a page of nested forms: the local worker's
memory and time limits stop those (docs/performance.md, "Hostile inputs").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from receiptflow.document import PageImage
from receiptflow.errors import (
    CorruptImageError,
    EmptyDocumentError,
    EncryptedDocumentError,
    ResourceLimitError,
    TooManyPagesError,
    TooManyPixelsError,
    TooSmallError,
)
from receiptflow.intake.encode import encode_page
from receiptflow.intake.limits import out_of_memory
from receiptflow.intake.raster import to_rgb
from receiptflow.settings import Settings

if TYPE_CHECKING:
    import pypdfium2 as pdfium

    from receiptflow.deadline import Deadline

RENDER_DPI = 200
_POINTS_PER_INCH = 72
_PDFIUM_LOCK = threading.Lock()


def render_scale(width_pt: float, height_pt: float, max_side_px: int) -> float:
    """Scale (pixels per point) for ~200 dpi, reduced so the longest side fits ``max_side_px``."""
    scale = RENDER_DPI / _POINTS_PER_INCH
    longest = max(width_pt, height_pt)
    return min(scale, max_side_px / longest) if longest > 0 else scale


def pdf_pages(data: bytes, settings: Settings, deadline: Deadline | None = None) -> tuple[PageImage, ...]:
    """Render every page; typed errors for encrypted, empty, over-long or broken documents, and
    ``ItemTimeoutError`` when ``deadline`` passes before a page starts (a render under way is not cut)."""
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
            pages = []
            for index in range(count):
                if deadline is not None:
                    deadline.check(f"page {index + 1} of the PDF was rendered")
                pages.append(_render(document, index, settings))
            return tuple(pages)
        finally:
            document.close()


@dataclass
class PageCost:
    """What rendering a loaded page would draw: objects (forms expanded) and image pixels."""

    objects: int = 0
    image_pixels: int = 0


def page_cost(page: pdfium.PdfPage, max_objects: int, max_pixels: int) -> PageCost:
    """Objects a loaded page draws, form XObjects counted with everything they draw (forms nested in
    forms fan out: a few KB of PDF can draw millions of objects), and the pixels of the images it draws
    (each drawing of an image counted: PDFium decodes it for each; a 50 MB file of compressed zeros can
    declare tens of gigapixels, which PDFium streams through slowly rather than holding). Stops counting
    past either limit, so the count costs at most ``max_objects`` steps; rendering would cost as much
    again per object."""
    import ctypes

    import pypdfium2 as pdfium

    raw = pdfium.raw
    cost = PageCost()
    width, height = ctypes.c_uint(0), ctypes.c_uint(0)
    containers: list[tuple[Any, bool]] = [(page.raw, False)]  # (handle, is a form object)
    while containers and cost.objects <= max_objects and cost.image_pixels <= max_pixels:
        handle, is_form = containers.pop()
        count = raw.FPDFFormObj_CountObjects(handle) if is_form else raw.FPDFPage_CountObjects(handle)
        cost.objects += max(int(count), 0)
        for i in range(max(int(count), 0)):
            if cost.objects > max_objects or cost.image_pixels > max_pixels:
                break
            obj = raw.FPDFFormObj_GetObject(handle, i) if is_form else raw.FPDFPage_GetObject(handle, i)
            kind = raw.FPDFPageObj_GetType(obj)
            if kind == raw.FPDF_PAGEOBJ_FORM:
                containers.append((obj, True))
            elif kind == raw.FPDF_PAGEOBJ_IMAGE and raw.FPDFImageObj_GetImagePixelSize(
                obj, ctypes.byref(width), ctypes.byref(height)
            ):
                cost.image_pixels += int(width.value) * int(height.value)
    return cost


def _render(document: pdfium.PdfDocument, index: int, settings: Settings) -> PageImage:
    import pypdfium2 as pdfium

    try:
        page = document[index]
        try:
            cost = page_cost(page, settings.max_pdf_objects, settings.max_pixels)
            if cost.objects > settings.max_pdf_objects:
                raise ResourceLimitError(
                    f"page {index + 1} of the PDF draws more than {settings.max_pdf_objects:,} objects "
                    "(nested forms); the limit is max_pdf_objects"
                )
            if cost.image_pixels > settings.max_pixels:
                raise TooManyPixelsError(
                    f"page {index + 1} of the PDF draws images of more than {settings.max_pixels:,} "
                    "pixels in all; the limit is max_pixels"
                )
            width_pt, height_pt = page.get_size()
            scale = render_scale(width_pt, height_pt, settings.max_side_px)
            bitmap = page.render(scale=scale)
            image = to_rgb(bitmap.to_pil())
        finally:
            page.close()
    except pdfium.PdfiumError as e:
        raise CorruptImageError(f"page {index + 1} of the PDF cannot be rendered: {e}") from e
    except MemoryError as e:  # the worker's memory cap, met in Python code (PDFium itself aborts)
        raise out_of_memory(f"rendering page {index + 1} of the PDF") from e
    if min(image.size) < settings.min_side_px:
        raise TooSmallError(f"page {index + 1} renders to {image.width}x{image.height} px")
    return encode_page(image)
