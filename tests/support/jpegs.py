"""Small, distinct receipt-like images made with Pillow, and a corrupt one."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def receipt_jpeg(number: int) -> bytes:
    """A legible receipt-like JPEG, different for every ``number``."""
    image = Image.new("RGB", (320, 420), "white")
    draw = ImageDraw.Draw(image)
    lines = [
        f"SHOP NUMBER {number}",
        "1 COFFEE      3.50",
        f"1 BAGEL       {number}.25",
        f"TOTAL         {number + 3}.75",
    ]
    for row, text in enumerate(lines):
        draw.text((20, 30 + row * 40), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def corrupt_jpeg() -> bytes:
    """A JPEG cut off half-way (intake answers ``corrupt_image``)."""
    data = receipt_jpeg(99)
    return data[: len(data) // 3]
