"""Unit: normalisation (orientation, modes, HEIC, PDF, GIF, downscaling), hashing and the fast path."""

from __future__ import annotations

import hashlib
import io
import random

import pytest
from PIL import Image, ImageDraw, ImageStat
from receiptflow.document import BlobRef, Document, PageImage
from receiptflow.errors import CorruptImageError
from receiptflow.intake import load_document
from receiptflow.intake.raster import FAST_PATH_MAX_BYTES
from receiptflow.settings import Settings

from tests.support.bad_inputs import (
    animated_gif,
    blank_pages_pdf,
    corrupt_exif_jpeg,
    encode_image,
    gray16_tiff,
    heic_bytes,
    minimal_pdf,
    receipt_image,
)

pytestmark = pytest.mark.filterwarnings("error")

# The transpose EXIF orientation N asks for, and the one that undoes it (to store an image that way).
_DISPLAY = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_STORE = {**_DISPLAY, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def _decode(page: PageImage) -> Image.Image:
    with Image.open(io.BytesIO(page.data)) as image:
        return image.convert("RGB")


def _gray_range(page: PageImage) -> tuple[float, float]:
    """Darkest and lightest grey level of a page."""
    low, high = ImageStat.Stat(_decode(page).convert("L")).extrema[0]
    return low, high


def _marked(size: tuple[int, int] = (300, 400)) -> Image.Image:
    """White portrait page with a black block in its top-left corner only."""
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill="black")
    return image


def _corner_means(image: Image.Image) -> list[float]:
    gray = image.convert("L")
    w, h = gray.size
    a, b = w // 8, h // 8
    boxes = [(0, 0, a, b), (w - a, 0, w, b), (0, h - b, a, h), (w - a, h - b, w, h)]
    return [ImageStat.Stat(gray.crop(box)).mean[0] for box in boxes]


def _tagged_jpeg(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode_image(image, "JPEG", quality=92, exif=exif.tobytes())


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_comes_out_upright(settings: Settings, orientation: int) -> None:
    upright = _marked()
    stored = upright if orientation == 1 else upright.transpose(_STORE[orientation])
    page = load_document(_tagged_jpeg(stored, orientation), settings=settings).pages[0]
    assert (page.width, page.height) == (300, 400)
    top_left, top_right, bottom_left, bottom_right = _corner_means(_decode(page))
    assert top_left < 40
    assert min(top_right, bottom_left, bottom_right) > 215


def test_different_orientation_tags_give_different_normalised_bytes(settings: Settings) -> None:
    stored = _marked()
    hashes = {load_document(_tagged_jpeg(stored, tag), settings=settings).sha256 for tag in (1, 3, 6, 8)}
    assert len(hashes) == 4


def test_hashing_is_deterministic(settings: Settings) -> None:
    data = encode_image(receipt_image(mode="CMYK"), "JPEG")
    first, second = (load_document(data, settings=settings) for _ in range(2))
    assert first.sha256 == second.sha256
    assert first.pages[0].data == second.pages[0].data
    assert first.source_sha256 == hashlib.sha256(data).hexdigest()
    assert first.sha256 != first.source_sha256  # re-encoded: the content hash is of the normalised bytes


def test_document_carries_source_facts(settings: Settings) -> None:
    data = encode_image(receipt_image(), "PNG")
    ref = BlobRef(bucket="uploads", key="tenant/abc.png")
    document = load_document(data, settings=settings, blob_ref=ref)
    assert isinstance(document, Document)
    assert (document.source_type, document.source_bytes, document.blob_ref) == ("png", len(data), ref)
    assert document.original is data


# --- the fast path ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fmt", "mode", "media_type"),
    [
        ("JPEG", "RGB", "image/jpeg"),
        ("JPEG", "L", "image/jpeg"),
        ("PNG", "RGB", "image/png"),
        ("PNG", "L", "image/png"),
    ],
)
def test_upright_small_jpeg_and_png_pass_through_untouched(
    settings: Settings, fmt: str, mode: str, media_type: str
) -> None:
    data = encode_image(receipt_image(mode=mode), fmt)
    page = load_document(data, settings=settings).pages[0]
    assert page.data is data
    assert (page.media_type, page.width, page.height) == (media_type, 480, 640)


def test_corrupt_exif_is_ignored_quietly(settings: Settings) -> None:
    # GIVEN a JPEG whose EXIF block is broken (Pillow would warn about it)
    data = corrupt_exif_jpeg()
    # WHEN it is loaded under ``filterwarnings("error")`` THEN no warning escapes and the image passes through
    assert load_document(data, settings=settings).pages[0].data is data


def test_orientation_one_still_passes_through(settings: Settings) -> None:
    data = _tagged_jpeg(_marked(), 1)
    assert load_document(data, settings=settings).pages[0].data is data


@pytest.mark.parametrize(
    "data_factory",
    [
        lambda: _tagged_jpeg(_marked(), 6),  # needs turning
        lambda: encode_image(receipt_image(mode="CMYK"), "JPEG"),  # needs converting
        lambda: encode_image(receipt_image(mode="RGBA"), "PNG"),  # has alpha
        lambda: encode_image(receipt_image(mode="P"), "PNG"),  # palette
        lambda: encode_image(receipt_image((2600, 300)), "JPEG"),  # too wide for providers
    ],
)
def test_everything_else_is_re_encoded(settings: Settings, data_factory: object) -> None:
    assert callable(data_factory)
    data = data_factory()
    page = load_document(data, settings=settings).pages[0]
    assert page.data != data
    assert page.media_type == "image/jpeg"
    assert _decode(page).mode == "RGB"


def test_originals_over_the_provider_byte_limit_are_re_encoded(settings: Settings) -> None:
    # GIVEN an upright RGB JPEG within the side limit but over 5 MB (noise at quality 100)
    width, height = 2400, 1300
    noise = Image.frombytes("RGB", (width, height), random.Random(5).randbytes(width * height * 3))
    data = encode_image(noise, "JPEG", quality=100)
    assert len(data) > FAST_PATH_MAX_BYTES
    page = load_document(data, settings=settings).pages[0]
    assert page.data is not data
    assert len(page.data) < len(data)


# --- modes --------------------------------------------------------------------------------------
def test_cmyk_becomes_rgb_with_white_paper(settings: Settings) -> None:
    page = load_document(encode_image(receipt_image(mode="CMYK"), "JPEG"), settings=settings).pages[0]
    image = _decode(page)
    assert image.getpixel((2, 2)) == pytest.approx((255, 255, 255), abs=6)


def test_16_bit_tiff_keeps_its_contrast(settings: Settings) -> None:
    page = load_document(gray16_tiff(), settings=settings).pages[0]
    low, high = _gray_range(page)
    assert low < 30
    assert high > 225


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_transparent_background_becomes_white_not_black(settings: Settings, mode: str) -> None:
    # GIVEN black text on a fully transparent background
    text = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(text).rectangle((100, 80, 200, 120), fill=(0, 0, 0, 255))
    data = encode_image(text.convert(mode), "PNG")
    image = _decode(load_document(data, settings=settings).pages[0])
    assert image.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=4)
    assert image.getpixel((150, 100)) == pytest.approx((0, 0, 0), abs=4)


def test_png_crc_is_checked_on_the_re_encoding_path_too(settings: Settings) -> None:
    # GIVEN an RGBA PNG (not a pass-through) whose IDAT CRC is wrong but whose pixels decode
    data = bytearray(encode_image(receipt_image(mode="RGBA"), "PNG"))
    idat = data.index(b"IDAT")
    length = int.from_bytes(data[idat - 4 : idat], "big")
    data[idat + 4 + length] ^= 0xFF
    with pytest.raises(CorruptImageError, match="checksum"):
        load_document(bytes(data), settings=settings)


def test_palette_with_transparency_index(settings: Settings) -> None:
    image = Image.new("P", (200, 200), 0)
    image.putpalette([0, 0, 0] + [255, 255, 255] * 255)
    ImageDraw.Draw(image).rectangle((50, 50, 150, 150), fill=1)
    data = encode_image(image, "PNG", transparency=0)  # black (index 0) marked transparent
    decoded = _decode(load_document(data, settings=settings).pages[0])
    assert decoded.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=4)


def test_heic_is_decoded(settings: Settings) -> None:
    document = load_document(heic_bytes(receipt_image()), settings=settings)
    assert document.source_type == "heif"
    (page,) = document.pages
    assert (page.width, page.height, page.media_type) == (480, 640, "image/jpeg")
    assert _gray_range(page)[0] < 60  # the text survived


def test_animated_gif_gives_its_first_frame(settings: Settings) -> None:
    (page,) = load_document(animated_gif(), settings=settings).pages
    image = _decode(page)
    assert image.getpixel((2, 2)) == pytest.approx((255, 255, 255), abs=4)


# --- size ---------------------------------------------------------------------------------------
def test_large_png_is_downscaled_to_max_side(settings: Settings) -> None:
    page = load_document(encode_image(receipt_image((3000, 1000)), "PNG"), settings=settings).pages[0]
    assert (page.width, page.height) == (2500, 833)


def test_large_jpeg_is_decoded_at_reduced_scale_then_resized(settings: Settings) -> None:
    data = encode_image(receipt_image((6000, 4000)), "JPEG", quality=80)
    page = load_document(data, settings=settings).pages[0]
    assert max(page.width, page.height) == 2500
    assert page.width / page.height == pytest.approx(1.5, abs=0.01)


def test_max_side_is_a_setting(settings: Settings) -> None:
    small = settings.model_copy(update={"max_side_px": 320})
    page = load_document(encode_image(receipt_image(), "PNG"), settings=small).pages[0]
    assert (page.width, page.height) == (240, 320)


# --- PDF ----------------------------------------------------------------------------------------
def test_pdf_pages_render_at_200_dpi(settings: Settings) -> None:
    document = load_document(blank_pages_pdf(2), settings=settings)
    assert document.source_type == "pdf"
    # A6 pages of 298 x 420 pt at 200/72 px per pt
    assert [(p.width, p.height) for p in document.pages] == [(828, 1167), (828, 1167)]


def test_huge_pdf_page_is_capped_at_max_side(settings: Settings) -> None:
    data = minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 7200] >>",  # 200 x 100 inches
        ]
    )
    (page,) = load_document(data, settings=settings).pages
    assert (page.width, page.height) == (2500, 1250)


def test_pdf_with_a_scanned_receipt_keeps_the_text(settings: Settings) -> None:
    buffer = io.BytesIO()
    receipt_image((600, 800)).save(buffer, format="PDF", resolution=200.0)
    (page,) = load_document(buffer.getvalue(), settings=settings).pages
    assert (page.width, page.height) == (600, 800)
    assert _gray_range(page)[0] < 60
