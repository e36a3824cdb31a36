"""Encoding normalised pages and hashing them deterministically."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable

from PIL import Image

from receiptflow.document import PageImage

# JPEG at this quality keeps printed text crisp for OCR while a 2500 px page stays around 1-2 MB.
JPEG_QUALITY = 90


def encode_page(image: Image.Image) -> PageImage:
    """An RGB image as a baseline JPEG page (no metadata, so equal pixels give equal bytes)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return PageImage(data=buffer.getvalue(), media_type="image/jpeg", width=image.width, height=image.height)


def pages_sha256(pages: Iterable[PageImage]) -> str:
    """SHA-256 over the pages' bytes, each length-prefixed so page boundaries count."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(len(page.data).to_bytes(8, "big"))
        digest.update(page.data)
    return digest.hexdigest()
