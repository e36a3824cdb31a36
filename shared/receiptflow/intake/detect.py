"""File type detection from magic bytes: the content decides, never the file name."""

from __future__ import annotations

from receiptflow.errors import EmptyFileError, UnsupportedTypeError

SUPPORTED_TYPES = ("jpeg", "png", "tiff", "webp", "heif", "pdf", "gif", "bmp")

# ISO-BMFF brands of HEIF still images and sequences coded with HEVC (what pillow-heif decodes).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})
_MIF_BRANDS = frozenset({b"mif1", b"msf1"})
# BITMAPCOREHEADER, BITMAPINFOHEADER and its later versions: the DIB header sizes a real BMP declares.
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
# The PDF spec lets a header appear anywhere in the first 1024 bytes (after junk some producers emit).
_PDF_HEADER_WINDOW = 1024

# Common non-receipt formats, named in the error message so the user knows what was sent.
_KNOWN_OTHER = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"Rar!", "a RAR archive"),
    (b"<?xml", "an XML document"),
    (b"<svg", "an SVG image"),
    (b"\x00\x00\x00\x0cjP  ", "a JPEG 2000 image"),
)


def _heif_brands(data: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF ``ftyp`` box, or an empty set."""
    if len(data) < 16 or data[4:8] != b"ftyp":
        return set()
    box_size = int.from_bytes(data[0:4], "big")
    end = min(max(box_size, 16), len(data), 4096)
    brands = {data[8:12]}
    brands.update(data[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def _is_bmp(data: bytes) -> bool:
    return len(data) >= 18 and data[:2] == b"BM" and int.from_bytes(data[14:18], "little") in _BMP_DIB_SIZES


def detect_type(data: bytes) -> str:
    """The type of ``data`` from its leading bytes: one of ``SUPPORTED_TYPES``.

    Raises ``EmptyFileError`` for zero bytes and ``UnsupportedTypeError`` for anything else.
    """
    if not data:
        raise EmptyFileError("the file is empty")
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith((b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")):
        return "tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if _is_bmp(data):
        return "bmp"
    brands = _heif_brands(data)
    if brands & _HEIF_BRANDS or (data[8:12] in _MIF_BRANDS and b"avif" not in brands):
        return "heif"
    if b"%PDF-" in data[:_PDF_HEADER_WINDOW]:
        return "pdf"
    stripped = data[:256].lstrip()
    for magic, what in _KNOWN_OTHER:
        if stripped.startswith(magic):
            raise UnsupportedTypeError(f"unsupported file type: {what}")
    if brands:
        raise UnsupportedTypeError("unsupported file type: an ISO media file that is not HEIC/HEIF")
    raise UnsupportedTypeError(f"unsupported file type: expected one of {', '.join(SUPPORTED_TYPES)}")
