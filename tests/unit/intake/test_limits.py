"""Unit: each intake limit, judged before decoding where it can be."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from receiptflow.errors import (
    CorruptImageError,
    TooLargeError,
    TooManyPagesError,
    TooManyPixelsError,
    TooSmallError,
)
from receiptflow.intake import load_document
from receiptflow.intake.raster import pixel_limit
from receiptflow.settings import Settings

from tests.support.bad_inputs import blank_pages_pdf, encode_image, receipt_image

pytestmark = pytest.mark.filterwarnings("error")


def _with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


def test_file_size_limit_is_checked_first(settings: Settings) -> None:
    data = encode_image(receipt_image(), "JPEG")
    with pytest.raises(TooLargeError) as info:
        load_document(data, settings=_with(settings, max_file_bytes=len(data) - 1))
    assert info.value.code == "too_large"
    assert load_document(data, settings=_with(settings, max_file_bytes=len(data))).source_bytes == len(data)


def test_pixel_limit_boundary(settings: Settings) -> None:
    data = encode_image(receipt_image((100, 120)), "PNG")
    assert load_document(data, settings=_with(settings, max_pixels=12_000)).pages[0].width == 100
    with pytest.raises(TooManyPixelsError) as info:
        load_document(data, settings=_with(settings, max_pixels=11_999))
    assert info.value.code == "too_many_pixels"


def test_pixel_limit_is_read_from_the_header_before_decoding(settings: Settings) -> None:
    # GIVEN a JPEG cut off after its header: decoding it would fail
    whole = encode_image(receipt_image((800, 1000)), "JPEG")
    header_only = whole[:700]
    with pytest.raises(CorruptImageError):
        load_document(header_only, settings=settings)
    # WHEN the pixel limit is lower than its declared size THEN the size verdict comes first
    with pytest.raises(TooManyPixelsError):
        load_document(header_only, settings=_with(settings, max_pixels=500_000))


def test_pixel_limit_is_per_call_and_leaves_pillow_global_alone(settings: Settings) -> None:
    before = Image.MAX_IMAGE_PIXELS
    data = encode_image(receipt_image((300, 400)), "PNG")
    with pytest.raises(TooManyPixelsError):
        load_document(data, settings=_with(settings, max_pixels=1_000))
    assert load_document(data, settings=settings).pages[0].height == 400
    assert Image.MAX_IMAGE_PIXELS == before


def test_gif_and_tiff_limit_never_exceeds_pillows_own_check(settings: Settings) -> None:
    generous = _with(settings, max_pixels=10**12)
    assert pixel_limit("png", generous) == 10**12
    assert Image.MAX_IMAGE_PIXELS is not None
    assert pixel_limit("tiff", generous) == Image.MAX_IMAGE_PIXELS
    assert pixel_limit("gif", generous) == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("size", [(10, 300), (300, 10), (1, 1)])
def test_too_small(settings: Settings, size: tuple[int, int]) -> None:
    data = encode_image(Image.new("RGB", size, "white"), "PNG")
    with pytest.raises(TooSmallError) as info:
        load_document(data, settings=settings)
    assert info.value.code == "too_small"


def test_min_side_boundary(settings: Settings) -> None:
    data = encode_image(Image.new("L", (16, 200), 255), "PNG")
    assert load_document(data, settings=settings).pages[0].width == 16


def test_pdf_page_limit(settings: Settings) -> None:
    data = blank_pages_pdf(3)
    with pytest.raises(TooManyPagesError) as info:
        load_document(data, settings=_with(settings, max_pages=2))
    assert info.value.code == "too_many_pages"
    assert len(load_document(data, settings=_with(settings, max_pages=3)).pages) == 3


def _multipage_tiff(pages: int) -> bytes:
    frames = [receipt_image((300, 400)) for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def test_multipage_tiff_pages_and_limit(settings: Settings) -> None:
    data = _multipage_tiff(3)
    document = load_document(data, settings=settings)
    assert [(page.width, page.height) for page in document.pages] == [(300, 400)] * 3
    with pytest.raises(TooManyPagesError):
        load_document(data, settings=_with(settings, max_pages=2))
