"""Receipts rendered with Pillow whose fields are known, for end-to-end checks."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True)
class KnownReceipt:
    """What a rendered receipt says."""

    vendor: str
    date: str  # ISO
    printed_date: str
    items: tuple[tuple[str, str], ...]

    @property
    def total(self) -> Decimal:
        return sum((Decimal(amount) for _, amount in self.items), Decimal("0"))


RECEIPTS: tuple[KnownReceipt, ...] = (
    KnownReceipt("CORNER GROCER", "2024-03-05", "05/03/2024", (("MILK", "2.49"), ("BREAD", "3.10"))),
    KnownReceipt("BLUE LAGOON CAFE", "2023-11-20", "20/11/2023", (("LATTE", "4.50"), ("MUFFIN", "3.25"))),
    KnownReceipt("HARDWARE DEPOT", "2024-01-15", "15/01/2024", (("HAMMER", "12.99"), ("NAILS", "4.01"))),
    KnownReceipt("PAPER & INK", "2022-07-08", "08/07/2022", (("NOTEBOOK", "6.00"), ("PENS", "2.40"))),
)


def render(receipt: KnownReceipt, *, noise: int = 0) -> bytes:
    """A JPEG of ``receipt``: vendor, address, date, items and total in a 480-px-wide column."""
    lines = [
        receipt.vendor,
        "12 HIGH STREET, SPRINGFIELD",
        f"DATE: {receipt.printed_date}  10:42",
        "",
        *(f"{name:<14}{amount:>10}" for name, amount in receipt.items),
        "",
        f"{'TOTAL':<14}{receipt.total:>10}",
        f"{'CASH':<14}{receipt.total:>10}",
        "THANK YOU",
    ]
    image = Image.new("RGB", (480, 60 + 34 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    for row, text in enumerate(lines):
        draw.text((24, 30 + 34 * row), text, fill="black", font=font)
    if noise:
        image = image.rotate(noise * 0.3, expand=True, fillcolor="white")
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def write_receipts(folder: Path, count: int) -> dict[str, KnownReceipt]:
    """Write ``count`` receipts (cycling through the known ones, varied by noise); file name → receipt."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i in range(count):
        known = RECEIPTS[i % len(RECEIPTS)]
        name = f"receipt_{i:03d}.jpg"
        (folder / name).write_bytes(render(known, noise=i // len(RECEIPTS)))
        written[name] = known
    return written
