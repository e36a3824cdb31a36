"""Unit: type detection from magic bytes, on real files encoded in the test."""

from __future__ import annotations

import io
import zipfile

import pytest
from receiptflow.errors import EmptyFileError, UnsupportedTypeError
from receiptflow.intake import SUPPORTED_TYPES, detect_type

from tests.support.bad_inputs import blank_pages_pdf, encode_image, heic_bytes, receipt_image

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize(
    ("fmt", "mode", "expected"),
    [
        ("JPEG", "RGB", "jpeg"),
        ("PNG", "RGBA", "png"),
        ("TIFF", "RGB", "tiff"),
        ("WEBP", "RGB", "webp"),
        ("GIF", "P", "gif"),
        ("BMP", "RGB", "bmp"),
    ],
)
def test_detects_pillow_formats(fmt: str, mode: str, expected: str) -> None:
    assert detect_type(encode_image(receipt_image(mode=mode), fmt)) == expected


@pytest.mark.parametrize("header", [b"MM\x00*\x00\x00\x00\x08", b"II+\x00\x08\x00\x00\x00"])
def test_detects_big_endian_and_bigtiff_headers(header: bytes) -> None:
    assert detect_type(header + bytes(32)) == "tiff"


def test_detects_heic_and_pdf() -> None:
    assert detect_type(heic_bytes(receipt_image())) == "heif"
    assert detect_type(blank_pages_pdf(1)) == "pdf"


def test_pdf_header_may_follow_leading_junk() -> None:
    assert detect_type(b"\r\n junk from a mail gateway\n" + blank_pages_pdf(1)) == "pdf"


def test_every_detected_type_is_declared() -> None:
    assert set(SUPPORTED_TYPES) == {"jpeg", "png", "tiff", "webp", "heif", "pdf", "gif", "bmp"}


def test_empty_file() -> None:
    with pytest.raises(EmptyFileError) as info:
        detect_type(b"")
    assert info.value.code == "empty_file"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"TOTAL 12.00\n", "expected one of"),
        (b"BM but only text after a plausible bitmap signature", "expected one of"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>', "SVG"),
        (b'  <?xml version="1.0"?><svg/>', "XML"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "ISO media"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", "ISO media"),
        (b"GIF88a not a gif version", "expected one of"),
    ],
)
def test_unsupported_content(data: bytes, named: str) -> None:
    with pytest.raises(UnsupportedTypeError) as info:
        detect_type(data)
    assert info.value.code == "unsupported_type"
    assert named in info.value.message


def test_zip_is_named_in_the_error() -> None:
    with pytest.raises(UnsupportedTypeError, match="ZIP"):
        detect_type(_zip())
