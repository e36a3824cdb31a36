"""A JPEG's declared size against the image data it really holds, checked from its markers alone.

libjpeg pads a scan that ends early (a truncated file with an EOI marker appended, or one cut inside a
scan whose next marker comes too soon) with grey and only *warns*; Pillow ignores the warning, so such a
file would decode "fine" into a blank page and end as ``no_text_found``. Before decoding, every scan
that codes DC coefficients (a baseline scan, a progressive DC scan or DC refinement) must hold at least
one bit per 8x8 block it covers: that is the floor of any Huffman coding (a code is at least one bit).
Real files hold far more, so this never refuses a whole image; a file holding less than the floor
declares more image than it carries and is ``corrupt_image``. Arithmetic-coded files (no floor) and
files whose height comes later (a DNL marker) are not judged here.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass

_SOF_MARKERS = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)})
_ARITHMETIC = frozenset(range(0xC9, 0xD0))
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # the marker ending entropy-coded data


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    arithmetic: bool
    sampling: dict[int, tuple[int, int]]  # component id -> (H, V)


def missing_image_data(data: bytes) -> str | None:
    """Why the JPEG holds less image data than its header declares, or None when it holds enough (or
    cannot be judged from its markers: the decoder then has the last word)."""
    frame: _Frame | None = None
    needed_bits = 0
    have_bytes = 0
    pos = 2
    try:
        while pos + 4 <= len(data):
            if data[pos] != 0xFF:
                return None
            marker = data[pos + 1]
            if marker == 0xFF:
                pos += 1  # fill byte
                continue
            if marker in _STANDALONE:
                pos += 2
                continue
            if marker == 0xD9:
                break
            (length,) = struct.unpack_from(">H", data, pos + 2)
            segment = data[pos + 4 : pos + 2 + length]
            pos += 2 + length
            if marker in _SOF_MARKERS:
                frame = _frame(marker, segment)
            elif marker == 0xDA and frame is not None:
                end = _SCAN_END.search(data, pos)
                stop = end.start() if end else len(data)
                have_bytes += stop - pos
                needed_bits += _scan_blocks(frame, segment)
                pos = stop
    except (struct.error, IndexError, ValueError):
        return None  # malformed markers: the decoder reports those
    if frame is None or frame.arithmetic or frame.height == 0 or needed_bits == 0:
        return None
    if have_bytes * 8 >= needed_bits:
        return None
    floor = math.ceil(needed_bits / 8)
    return (
        f"the header declares {frame.width}x{frame.height} px, which needs at least {floor:,} bytes of"
        f" image data; the file holds {have_bytes:,} (truncated)"
    )


def _frame(marker: int, segment: bytes) -> _Frame:
    height, width, count = struct.unpack_from(">HHB", segment, 1)
    sampling = {}
    for n in range(count):
        component, factors = segment[6 + 3 * n], segment[7 + 3 * n]
        sampling[component] = (max(factors >> 4, 1), max(factors & 15, 1))
    return _Frame(width=width, height=height, arithmetic=marker in _ARITHMETIC, sampling=sampling)


def _scan_blocks(frame: _Frame, segment: bytes) -> int:
    """8x8 blocks a DC-coding scan covers (0 for an AC-only progressive scan, which may code nothing)."""
    count = segment[0]
    components = [segment[1 + 2 * n] for n in range(count)]
    spectral_start = segment[1 + 2 * count]
    if spectral_start != 0:
        return 0
    h_max = max(h for h, _ in frame.sampling.values())
    v_max = max(v for _, v in frame.sampling.values())
    if count == 1:
        h, v = frame.sampling.get(components[0], (1, 1))
        width = math.ceil(frame.width * h / h_max)
        height = math.ceil(frame.height * v / v_max)
        return math.ceil(width / 8) * math.ceil(height / 8)
    mcus = math.ceil(frame.width / (8 * h_max)) * math.ceil(frame.height / (8 * v_max))
    return mcus * sum(h * v for c, (h, v) in frame.sampling.items() if c in components)
