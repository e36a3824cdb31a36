"""Issue 16, decode once: a page intake passes through as received carries the pixels intake decoded to
check it, exactly as the OCR engine would decode the bytes (OpenCV, BGR); a page intake re-encoded carries
none (the engine reads the encoded page, as the cache key and the cloud providers do)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from receiptflow.document import PageImage
from receiptflow.intake import load_document
from receiptflow.settings import Settings

from tests.support.bad_inputs import encode_image, receipt_image


def _opencv(page: PageImage) -> np.ndarray:
    """The page's bytes decoded the way ``receiptflow.adapters.ocr.engine.decode_page`` does."""
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION
    return np.asarray(cv2.imdecode(np.frombuffer(page.data, np.uint8), flags))


def _carried(page: PageImage) -> np.ndarray:
    assert page.pixels is not None
    return np.frombuffer(page.pixels, np.uint8).reshape(page.height, page.width, 3)


@pytest.mark.parametrize(
    ("fmt", "mode"), [("JPEG", "RGB"), ("JPEG", "L"), ("PNG", "RGB"), ("PNG", "L")], ids=str
)
def test_a_page_passed_through_carries_the_pixels_the_engine_would_decode(
    settings: Settings, fmt: str, mode: str
) -> None:
    # GIVEN a receipt file intake hands over as it is
    data = encode_image(receipt_image(mode=mode), fmt)
    # WHEN it is loaded
    (page,) = load_document(data, settings=settings).pages
    # THEN the page is the file itself, and its decoded pixels are exactly OpenCV's decode of it
    assert page.data is data
    assert np.array_equal(_carried(page), _opencv(page))


def test_a_reencoded_page_carries_no_pixels(settings: Settings) -> None:
    # GIVEN images intake must re-encode: one larger than the page size, one with an alpha channel
    large = encode_image(receipt_image((settings.max_side_px + 200, 900)), "JPEG")
    transparent = encode_image(receipt_image(mode="RGBA"), "PNG")
    for data in (large, transparent):
        (page,) = load_document(data, settings=settings).pages
        # THEN the engine reads the page that was encoded (what the cache key and other providers see)
        assert page.data is not data and page.pixels is None


def test_decoded_pixels_are_not_part_of_a_pages_identity(settings: Settings) -> None:
    data = encode_image(receipt_image(), "PNG")
    (page,) = load_document(data, settings=settings).pages
    bare = PageImage(page.data, page.media_type, page.width, page.height)
    assert page == bare and "pixels" not in repr(page)
