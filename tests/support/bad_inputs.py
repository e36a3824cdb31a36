"""A corpus of bad (and awkward but valid) inputs, generated in code: nothing is downloaded.

``make_bad_inputs(dest)`` writes every file and returns file name → expected outcome under default
``Settings``: an intake error code from ``receiptflow.errors`` or ``"ok"``.

Decisions worth knowing:
- ``animated.gif`` is ``ok``: the first frame is the receipt (a GIF has no notion of pages).
- ``large_photo_30mb.jpg`` is ``ok``: about 30 MB is under the 50 MB ``max_file_bytes`` limit; it is
  downscaled on intake (JPEG DCT-domain draft decoding keeps memory and time small).
- The path-traversal case cannot be a real file name on disk (``/`` is a separator), so its *name* is the
  URL-encoded form ``..%2F..%2Fx ü😀.jpg`` with odd Unicode; the API tests send the literal ``../../x.jpg``
  in a multipart upload. Intake never sees names, so it is an ordinary ``ok`` JPEG.
- ``duplicate_of_receipt.jpg`` has the same bytes as ``receipt.jpg``: both are ``ok`` (a batch scans it once).
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

TRAVERSAL_NAME = "..%2F..%2Fx \u00fc\U0001f600.jpg"
BOMB_SIDE = 50_000
_LINES = (
    "CORNER GROCER",
    "12 MAIN STREET",
    "DATE 2024-03-05",
    "MILK        2.49",
    "BREAD       3.10",
    "TOTAL       5.59",
)


def receipt_image(size: tuple[int, int] = (480, 640), mode: str = "RGB") -> Image.Image:
    """A small legible receipt (black text on white), converted to ``mode``."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, size[0] // 20))
    step = max(14, size[1] // (len(_LINES) + 2))
    for row, text in enumerate(_LINES):
        draw.text((size[0] // 12, step * (row + 1)), text, fill="black", font=font)
    return image.convert(mode)


def encode_image(image: Image.Image, fmt: str, **params: object) -> bytes:
    """``image`` saved in ``fmt`` with Pillow."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def png_bomb(side: int = BOMB_SIDE) -> bytes:
    """A *valid* side×side 1-bit grey PNG of zeros in ~40 KB (2.5 gigapixels for the default side).

    Every scanline is zero and the deflate stream is fully flushed after each block of rows, so the
    compressed bytes of one block repeat; the Adler-32 of n zero bytes is ``(n % 65521) << 16 | 1``.
    """
    row = bytes(1 + (side + 7) // 8)  # filter byte 0 + packed zero pixels
    rows_per_block = 100 if side % 100 == 0 else 1
    block = row * rows_per_block
    compressor = zlib.compressobj(9)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    adler = ((len(row) * side) % 65521) << 16 | 1
    blocks = side // rows_per_block
    # b"\x03\x00" is an empty final fixed-Huffman block: it ends the deflate stream.
    stream = first + repeat * (blocks - 1) + b"\x03\x00" + struct.pack(">I", adler)
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    chunks = _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", stream) + _png_chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def png_with_broken_crc() -> bytes:
    """A complete PNG whose IDAT data is intact but whose IDAT CRC is wrong."""
    data = bytearray(encode_image(receipt_image(), "PNG"))
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    crc_at = idat + 4 + length
    data[crc_at : crc_at + 4] = bytes(b ^ 0xFF for b in data[crc_at : crc_at + 4])
    return bytes(data)


def minimal_pdf(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF from raw object bodies (object 1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted_pdf() -> bytes:
    """A one-page PDF under the standard security handler whose user password is not empty.

    The /U entry is random, so the empty password does not validate and PDFium reports a password error.
    """
    rng = random.Random(7)
    o_entry, u_entry = rng.randbytes(32).hex().encode(), rng.randbytes(32).hex().encode()
    file_id = rng.randbytes(16).hex().encode()
    return minimal_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 400] >>",
            b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>" % (o_entry, u_entry),
        ],
        b"/Encrypt 4 0 R /ID [<%s><%s>] " % (file_id, file_id),
    )


def empty_pdf() -> bytes:
    """A well-formed PDF whose page tree has no pages."""
    return minimal_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def blank_pages_pdf(pages: int) -> bytes:
    """A PDF of ``pages`` blank A6 pages, written by PDFium."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    try:
        for _ in range(pages):
            document.new_page(298, 420).close()
        buffer = io.BytesIO()
        document.save(buffer)
    finally:
        document.close()
    return buffer.getvalue()


def heic_bytes(image: Image.Image) -> bytes:
    """``image`` encoded as HEIC by pillow-heif."""
    from pillow_heif import from_pillow

    buffer = io.BytesIO()
    from_pillow(image).save(buffer, quality=80)
    return buffer.getvalue()


def animated_gif() -> bytes:
    """Three frames; the first is the receipt."""
    first = receipt_image(mode="P")
    others = [Image.new("P", first.size, color) for color in (1, 2)]
    return encode_image(first, "GIF", save_all=True, append_images=others, duration=200, loop=0)


def gray16_tiff() -> bytes:
    """A 16-bit greyscale TIFF using the full 0..65535 range."""
    eight_bit = receipt_image(mode="L")
    sixteen = eight_bit.convert("I").point(lambda v: v * 257).convert("I;16")
    return encode_image(sixteen, "TIFF")


def huge_exif_jpeg() -> bytes:
    """A JPEG whose APP1 EXIF segment is nearly the 64 KB maximum (a 60 KB maker note)."""
    image = receipt_image()
    exif = Image.Exif()
    exif[0x0112] = 1  # Orientation: upright
    exif[0x927C] = bytes(range(256)) * 240  # MakerNote, 61,440 bytes
    return encode_image(image, "JPEG", quality=90, exif=exif.tobytes())


def corrupt_exif_jpeg() -> bytes:
    """A good JPEG with an APP1 EXIF segment whose first IFD offset points past its end."""
    jpeg = encode_image(receipt_image(), "JPEG", quality=90)
    app1 = b"Exif\x00\x00II*\x00" + struct.pack("<I", 99_999)
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:]


def large_photo(target_bytes: int = 30 * 1024 * 1024) -> bytes:
    """A ~30 MB photo: random noise at JPEG quality 100 (noise does not compress)."""
    pixels = target_bytes // 2  # noise costs ~2 bytes per pixel at quality 100
    width = int((pixels * 4 / 3) ** 0.5)
    height = pixels // width
    noise = Image.frombytes("RGB", (width, height), random.Random(30).randbytes(width * height * 3))
    return encode_image(noise, "JPEG", quality=100)


def rotated_jpeg(orientation: int = 6) -> bytes:
    """A receipt stored sideways with an EXIF orientation tag that says how to turn it upright."""
    upright = receipt_image()
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # orientation 6 = rotate 270° to display
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode_image(stored, "JPEG", quality=90, exif=exif.tobytes())


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("receipt.jpg", encode_image(receipt_image(), "JPEG"))
    return buffer.getvalue()


_SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200">'
    b'<script>alert(document.cookie)</script><text x="10" y="40">TOTAL 5.59</text></svg>\n'
)


def _jpeg_header_then_garbage(jpeg: bytes) -> Callable[[], bytes]:
    return lambda: jpeg[:20] + random.Random(1).randbytes(4000)


def _cases() -> dict[str, tuple[Callable[[], bytes], str]]:
    receipt_jpeg = encode_image(receipt_image(), "JPEG", quality=90)
    return {
        "empty.jpg": (lambda: b"", "empty_file"),
        "zero_byte.pdf": (lambda: b"", "empty_file"),
        "truncated.jpg": (lambda: receipt_jpeg[: len(receipt_jpeg) * 6 // 10], "corrupt_image"),
        "truncated.png": (lambda: encode_image(receipt_image(), "PNG")[:-200], "corrupt_image"),
        "broken_crc.png": (png_with_broken_crc, "corrupt_image"),
        "jpeg_header_garbage.jpg": (_jpeg_header_then_garbage(receipt_jpeg), "corrupt_image"),
        "bomb_50000x50000.png": (png_bomb, "too_many_pixels"),
        "one_pixel.png": (lambda: encode_image(Image.new("RGB", (1, 1), "white"), "PNG"), "too_small"),
        "text_named.jpg": (lambda: b"TOTAL 5.59\nthank you for shopping\n", "unsupported_type"),
        "archive.zip": (_zip, "unsupported_type"),
        "script.svg": (lambda: _SVG, "unsupported_type"),
        "html_named.pdf": (lambda: b"<html><body>receipt</body></html>", "unsupported_type"),
        "oversize_51mb.jpg": (lambda: receipt_jpeg + bytes(51 * 1024 * 1024), "too_large"),
        "encrypted.pdf": (encrypted_pdf, "encrypted_document"),
        "hundred_pages.pdf": (lambda: blank_pages_pdf(100), "too_many_pages"),
        "no_pages.pdf": (empty_pdf, "empty_document"),
        "broken.pdf": (lambda: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "corrupt_image"),
        "receipt.jpg": (lambda: receipt_jpeg, "ok"),
        "duplicate_of_receipt.jpg": (lambda: receipt_jpeg, "ok"),
        TRAVERSAL_NAME: (lambda: encode_image(receipt_image(), "JPEG", quality=85), "ok"),
        "receipt.heic": (lambda: heic_bytes(receipt_image()), "ok"),
        "animated.gif": (animated_gif, "ok"),
        "cmyk.jpg": (lambda: encode_image(receipt_image(mode="CMYK"), "JPEG", quality=90), "ok"),
        "gray16.tiff": (gray16_tiff, "ok"),
        "huge_exif.jpg": (huge_exif_jpeg, "ok"),
        "corrupt_exif.jpg": (corrupt_exif_jpeg, "ok"),
        "large_photo_30mb.jpg": (large_photo, "ok"),
        "receipt.webp": (lambda: encode_image(receipt_image(), "WEBP", quality=90), "ok"),
        "receipt.bmp": (lambda: encode_image(receipt_image(), "BMP"), "ok"),
        "rgba.png": (lambda: encode_image(receipt_image(mode="RGBA"), "PNG"), "ok"),
        "rotated_exif6.jpg": (rotated_jpeg, "ok"),
        "two_pages.pdf": (lambda: blank_pages_pdf(2), "ok"),
    }


def make_bad_inputs(dest: Path) -> dict[str, str]:
    """Write the corpus into ``dest``; return file name → expected outcome (error code or ``"ok"``)."""
    dest.mkdir(parents=True, exist_ok=True)
    expected = {}
    for name, (build, outcome) in _cases().items():
        (dest / name).write_bytes(build())
        expected[name] = outcome
    return expected
