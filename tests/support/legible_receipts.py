"""Receipt images rendered with Pillow for the API tests (legible for the real OCR engine)."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFont

VENDORS = ("CORNER GROCER", "BLUE CUP CAFE", "METRO HARDWARE", "GREEN LEAF PHARMACY", "SUNRISE BAKERY",
           "HARBOUR BOOKS", "CITY FUEL STOP", "MAPLE DELI")  # fmt: skip


def render_receipt(n: int, *, width: int = 640) -> bytes:
    """A JPEG receipt: vendor ``VENDORS[n % len]``, a few items, TOTAL; deterministic per ``n``."""
    rng = random.Random(n)
    vendor = VENDORS[n % len(VENDORS)]
    items = [(f"ITEM {chr(65 + i)}{n}", rng.randint(100, 2500) / 100) for i in range(rng.randint(2, 4))]
    total = round(sum(price for _, price in items), 2)
    font = ImageFont.load_default(size=28)
    lines = [vendor, f"{n + 10} MAIN STREET", f"DATE: 2024-03-{(n % 27) + 1:02d}", ""]
    lines += [f"{name:<16}{price:>8.2f}" for name, price in items]
    lines += ["", f"{'TOTAL':<16}{total:>8.2f}", "THANK YOU"]
    image = Image.new("RGB", (width, 60 + 42 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(lines):
        draw.text((40, 30 + 42 * row), text, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG cut in half (no end-of-image marker): intake reports ``corrupt_image``."""
    data = render_receipt(99)
    return data[: len(data) // 2]
