"""Generators of hostile examples for the proof tests (seeded, so a failure reproduces)."""

from __future__ import annotations

import random
import string

# Pieces that break terminals, markup parsers, paths and logs.
NASTY_PIECES = (
    "[",
    "]",
    "[/]",
    "[bold]",
    "[/b]",
    "[link=http://x]",
    ":smile:",
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\x1b]8;;http://evil\x1b\\",
    "\x07",
    "\r",
    "\t",
    "\x7f",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "%s",
    "%n",
    "{0}",
    "\\",
    "é",
    "🧾",
    "\u0301",
)


def nasty_names(count: int, seed: int = 12) -> list[str]:
    """``count`` distinct file names (no ``/`` or NUL) mixing markup, escapes, bidi and plain text."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        parts = [rng.choice(NASTY_PIECES) for _ in range(rng.randint(1, 5))]
        parts.insert(rng.randint(0, len(parts)), "".join(rng.choices(string.ascii_letters, k=3)))
        name = "".join(parts).replace("/", "_") + rng.choice([".jpg", ".png", ""])
        if name not in (".", "..") and len(name.encode()) < 200:
            names.add(name)
    return sorted(names)


def bad_cursors(count: int, seed: int = 7) -> list[str]:
    """Cursors that are not item ids (zero-padded digits, at most 20)."""
    rng = random.Random(seed)
    fixed = ["zzz", "-1", "1.5", " 1", "1 ", "0x10", "1" * 21, "٣", "00001' OR '1'='1", "%00", "1e3"]
    extra: list[str] = []
    while len(extra) < count:
        text = "".join(rng.choices(string.printable, k=rng.randint(1, 30)))
        if not (text.isascii() and text.isdigit() and len(text) <= 20):
            extra.append(text)
    return fixed + extra


def huge_numbers(seed: int = 3) -> list[int]:
    """Integers past every bound a client may send."""
    rng = random.Random(seed)
    return [
        10**12,
        2**31,
        2**63,
        2**64 + 1,
        10**30,
        -1,
        -(2**63),
        *(rng.randint(10**6, 10**18) for _ in range(5)),
    ]


def _jpeg_declaring(width: int, height: int, progressive: bool, keep: int, eoi: bool) -> bytes:
    """A real small JPEG whose frame header is patched to declare ``width``x``height``, cut ``keep``
    bytes into its image data (optionally with an EOI marker after the cut)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="JPEG", progressive=progressive)
    data = bytearray(buffer.getvalue())
    sof = data.find(b"\xff\xc2" if progressive else b"\xff\xc0")
    data[sof + 5 : sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    scan = data.find(b"\xff\xda")
    start = scan + 2 + int.from_bytes(data[scan + 2 : scan + 4], "big")
    return bytes(data[: start + keep]) + (b"\xff\xd9" if eoi else b"")


def truncated_jpegs(count: int, seed: int = 110) -> dict[str, bytes]:
    """JPEGs declaring up to ~110 Mpx that hold only a few bytes of image data (with and without an
    EOI marker after the cut, baseline and progressive)."""
    rng = random.Random(seed)
    out = {"declares_110mpx.jpg": _jpeg_declaring(10_000, 11_000, False, 200, True)}
    while len(out) < count:
        width, height = rng.randint(1500, 11_000), rng.randint(1500, 10_900)
        progressive, eoi, keep = rng.random() < 0.5, rng.random() < 0.7, rng.randint(0, 4000)
        name = f"trunc_{width}x{height}_{'p' if progressive else 'b'}{'_eoi' if eoi else ''}.jpg"
        out[name] = _jpeg_declaring(width, height, progressive, keep, eoi)
    return out


def fan_out_pdf(levels: int, fan: int) -> bytes:
    """A one-page PDF of a few KB whose form XObjects nest ``levels`` deep, each drawing the next one
    ``fan`` times: the page draws ``fan ** (levels - 1)`` leaf objects."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
        b" /Resources << /XObject << /X0 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length 6 >>\nstream\n/X0 Do\nendstream",
    ]
    for level in range(levels):
        if level == levels - 1:
            body, resources = b"0 0 m 1 1 l S", b""
        else:
            body = b" ".join([b"q /X Do Q"] * fan)
            resources = b"/Resources << /XObject << /X %d 0 R >> >>" % (6 + level)
        objects.append(
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 200 200] %s /Length %d >>\nstream\n%s\nendstream"
            % (resources, len(body), body)
        )
    return one_page_pdf(objects)


def one_page_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1: catalog, pages, page, ...) with its xref table."""
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


_HEAD = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]


def self_drawing_pdf(fan: int) -> bytes:
    """A PDF of well under 1 KB whose one form XObject draws itself ``fan`` times (each copy scaled a
    little): PDFium expands it to its nesting limit, ``fan ** depth`` draws, growing while it loads."""
    body = b" ".join([b"q 0.9 0 0 0.9 %d %d cm /X Do Q" % (i, i) for i in range(fan)]) + b" 0 0 m 1 1 l S"
    return one_page_pdf(
        [
            *_HEAD,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
            b" /Resources << /XObject << /X 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length 5 >>\nstream\n/X Do\nendstream",
            b"<< /Type /XObject /Subtype /Form /BBox [0 0 200 200] /Resources << /XObject << /X 5 0 R >> >>"
            b" /Length %d >>\nstream\n%s\nendstream" % (len(body), body),
        ]
    )


def tiling_pdf(step: str) -> bytes:
    """A PDF of under 1 KB whose page is filled with a tiling pattern of cell ``step`` points, rendering
    slowly in little memory (about 20 MiB). A step of 0.001 repeats the cell 4*10**10 times: at 200 dpi
    that is most of an hour on a quiet machine (0.01, 100 times fewer cells, took 30 to 90 s), so an item
    time limit of minutes always stops it."""
    cell = b"0 0 0.5 0.5 re f"
    content = b"/Pattern cs /P scn 0 0 200 200 re f"
    return one_page_pdf(
        [
            *_HEAD,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]"
            b" /Resources << /Pattern << /P 5 0 R >> >> /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
            b"<< /Type /Pattern /PatternType 1 /PaintType 1 /TilingType 1 /BBox [0 0 1 1] /XStep %s"
            b" /YStep %s /Resources << >> /Length %d >>\nstream\n%s\nendstream"
            % (step.encode(), step.encode(), len(cell), cell),
        ]
    )
