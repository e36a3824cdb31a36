"""Render the bundled sample receipts and their ground truth.

    python tools/make_samples.py samples

Every receipt is drawn with Pillow's bundled font (``ImageFont.load_default(size=...)``), so the output needs
no system fonts. Generation is seeded and deterministic. Receipts go to ``<out>/receipts/<name>.<ext>``
(the folder ``make demo`` scans: images only), ground truth to ``<out>/truth/<name>.json`` with the fields as
printed, normalised: ISO date, 24-hour time, ISO 4217 currency, amounts as decimal strings.
The bundled font is ASCII-only, so euro receipts print ``EUR`` (as many European tills do).
"""

from __future__ import annotations

import argparse
import io
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

CENT = Decimal("0.01")
_PDF_DATE = time.struct_time((2024, 1, 1, 0, 0, 0, 0, 1, 0))


def money(value: Decimal | str | int) -> Decimal:
    """A Decimal rounded half-up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.unit_price * self.quantity)


@dataclass(frozen=True)
class Spec:
    """Everything printed on one receipt, plus how it is drawn."""

    name: str
    ext: str
    vendor: str
    address: tuple[str, ...]
    phone: str
    when: datetime
    date_format: str
    time_format: str
    currency: str
    symbol: str  # printed before amounts ("$", "RM ") or "" when totals carry a code
    items: tuple[Item, ...]
    tax_rate: Decimal | None = None
    tax_label: str = "TAX"
    tip: Decimal | None = None
    discount: Decimal | None = None
    payment: str = "CASH"
    payment_method: str = "cash"
    decimal_comma: bool = False
    item_style: str = "columns"  # columns | two_line | table
    width: int = 720
    font_size: int = 24
    footer: tuple[str, ...] = ("THANK YOU", "PLEASE COME AGAIN")
    receipt_no: str = ""
    noise: dict[str, float] = field(default_factory=dict)
    exif_orientation: int = 1
    split_pages: bool = False

    @property
    def subtotal(self) -> Decimal:
        return money(sum((item.amount for item in self.items), Decimal(0)))

    @property
    def tax(self) -> Decimal | None:
        if self.tax_rate is None:
            return None
        return money((self.subtotal - (self.discount or 0)) * self.tax_rate)

    @property
    def total(self) -> Decimal:
        return money(self.subtotal - (self.discount or 0) + (self.tax or 0) + (self.tip or 0))

    def amount(self, value: Decimal, *, negative: bool = False) -> str:
        text = f"{value:.2f}"
        if self.decimal_comma:
            text = text.replace(".", ",")
        return f"{'-' if negative else ''}{self.symbol}{text}"


def ground_truth(spec: Spec) -> dict[str, object]:
    """The JSON ground truth of a receipt."""

    def opt(value: Decimal | None) -> str | None:
        return None if value is None else f"{value:.2f}"

    return {
        "vendor_name": spec.vendor,
        "vendor_address": ", ".join(spec.address),
        "date": spec.when.date().isoformat(),
        "time": spec.when.strftime("%H:%M"),
        "currency": spec.currency,
        "subtotal": opt(spec.subtotal),
        "tax": opt(spec.tax),
        "tip": opt(spec.tip),
        "discount": opt(spec.discount),
        "total": opt(spec.total),
        "payment_method": spec.payment_method,
        "line_items": [
            {
                "description": item.description,
                "quantity": str(item.quantity),
                "unit_price": f"{item.unit_price:.2f}",
                "amount": f"{item.amount:.2f}",
            }
            for item in spec.items
        ],
    }


# --- layout -------------------------------------------------------------------------------------
Line = tuple[tuple[str, str, int], ...]  # (text, align "l"|"c"|"r"|"x", x) segments; "x" = right edge at x


class Sheet:
    """Lines of text laid out on a receipt-wide strip, measured first and drawn once."""

    def __init__(self, width: int, font_size: int) -> None:
        self.width = width
        self.margin = width // 14
        self.font = ImageFont.load_default(size=font_size)
        self.big = ImageFont.load_default(size=int(font_size * 1.35))
        self.step = int(font_size * 1.45)
        self.rows: list[tuple[Line, bool]] = []

    def add(self, *segments: tuple[str, str, int], big: bool = False) -> None:
        self.rows.append((tuple(segments), big))

    def center(self, text: str, big: bool = False) -> None:
        self.add((text, "c", 0), big=big)

    def pair(self, left: str, right: str) -> None:
        self.add((left, "l", self.margin), (right, "r", 0))

    def rule(self) -> None:
        self.add(("-" * 200, "rule", 0))

    def blank(self) -> None:
        self.add()

    def render(self) -> Image.Image:
        height = self.margin * 2 + sum(int(self.step * (1.4 if big else 1)) for _, big in self.rows)
        image = Image.new("L", (self.width, height), 255)
        draw = ImageDraw.Draw(image)
        y = self.margin
        for segments, big in self.rows:
            font = self.big if big else self.font
            for text, align, x in segments:
                if align == "rule":
                    middle = y + self.step // 2
                    draw.line((self.margin, middle, self.width - self.margin, middle), fill=0, width=2)
                    continue
                text_width = draw.textlength(text, font=font)
                left = {
                    "l": x,
                    "c": (self.width - text_width) / 2,
                    "r": self.width - self.margin - text_width,
                    "x": x - text_width,
                }[align]
                draw.text((left, y), text, fill=0, font=font, stroke_width=1 if big else 0, stroke_fill=0)
            y += int(self.step * (1.4 if big else 1))
        return image


def _header(sheet: Sheet, spec: Spec) -> None:
    sheet.center(spec.vendor, big=True)
    for line in spec.address:
        sheet.center(line)
    sheet.center(f"TEL {spec.phone}")
    sheet.blank()
    stamp = f"{spec.when.strftime(spec.date_format).upper()}  {spec.when.strftime(spec.time_format)}"
    sheet.pair("DATE", stamp)
    if spec.receipt_no:
        sheet.pair("RECEIPT NO", spec.receipt_no)
    sheet.rule()


def _items(sheet: Sheet, spec: Spec) -> None:
    qty_right = sheet.margin + sheet.width // 8
    item_left = qty_right + 20
    unit_right = sheet.width - sheet.margin - sheet.width // 4
    if spec.item_style == "table":
        sheet.add(
            ("QTY", "x", qty_right),
            ("ITEM", "l", item_left),
            ("PRICE", "x", unit_right),
            ("AMT", "r", 0),
        )
    for item in spec.items:
        amount = spec.amount(item.amount)
        if spec.item_style == "table":
            sheet.add(
                (str(item.quantity), "x", qty_right),
                (item.description, "l", item_left),
                (spec.amount(item.unit_price), "x", unit_right),
                (amount, "r", 0),
            )
        elif spec.item_style == "two_line":
            sheet.add((item.description, "l", sheet.margin))
            each = f"   {item.quantity} @ {spec.amount(item.unit_price)}"
            sheet.add((each, "l", sheet.margin), (amount, "r", 0))
        elif item.quantity == 1:
            sheet.pair(item.description, amount)
        else:
            sheet.add(
                (item.description, "l", sheet.margin),
                (f"{item.quantity} x {spec.amount(item.unit_price)}", "x", unit_right),
                (amount, "r", 0),
            )
    sheet.rule()


def _totals(sheet: Sheet, spec: Spec) -> None:
    code = "" if spec.symbol else f" {spec.currency}"
    sheet.pair("SUBTOTAL", spec.amount(spec.subtotal))
    if spec.discount is not None:
        sheet.pair("DISCOUNT", spec.amount(spec.discount, negative=True))
    if spec.tax is not None and spec.tax_rate is not None:
        rate = f"{(spec.tax_rate * 100).normalize():f}%"
        sheet.pair(f"{spec.tax_label} {rate}", spec.amount(spec.tax))
    if spec.tip is not None:
        sheet.pair("TIP", spec.amount(spec.tip))
    sheet.add((f"TOTAL{code}", "l", sheet.margin), (spec.amount(spec.total), "r", 0), big=True)
    sheet.pair(spec.payment, spec.amount(spec.total))
    sheet.blank()
    for line in spec.footer:
        sheet.center(line)


def render_pages(spec: Spec) -> list[Image.Image]:
    """The clean receipt, as one strip or (``split_pages``) items on page 1 and totals on page 2."""
    first = Sheet(spec.width, spec.font_size)
    _header(first, spec)
    _items(first, spec)
    if not spec.split_pages:
        _totals(first, spec)
        return [first.render()]
    first.center("CONTINUED ON PAGE 2")
    second = Sheet(spec.width, spec.font_size)
    second.center(spec.vendor, big=True)
    second.center("PAGE 2 OF 2")
    second.rule()
    _totals(second, spec)
    return [first.render(), second.render()]


# --- photo-like degradation ---------------------------------------------------------------------
def degrade(image: Image.Image, noise: dict[str, float], rng: random.Random) -> Image.Image:
    """Paper tint, speckles, a slight rotation on a table, blur: what a phone photo adds."""
    rgb = Image.merge("RGB", [image.point(lambda v, t=tint: v * t / 255) for tint in (250, 246, 236)])
    if speckles := int(noise.get("speckles", 0)):
        draw = ImageDraw.Draw(rgb)
        for _ in range(speckles):
            x, y = rng.randrange(rgb.width), rng.randrange(rgb.height)
            shade = rng.randrange(120, 220)
            draw.point((x, y), fill=(shade, shade, shade))
    if angle := noise.get("rotate", 0.0):
        border = int(noise.get("border", 0))
        table = (96, 82, 70)
        framed = Image.new("RGB", (rgb.width + 2 * border, rgb.height + 2 * border), table)
        framed.paste(rgb, (border, border))
        rgb = framed.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=table)
    if radius := noise.get("blur", 0.0):
        rgb = rgb.filter(ImageFilter.GaussianBlur(radius))
    return rgb


# --- encoders -----------------------------------------------------------------------------------
def _jpeg(image: Image.Image, quality: int, orientation: int = 1) -> bytes:
    buffer = io.BytesIO()
    params: dict[str, object] = {"quality": quality}
    if orientation != 1:
        exif = Image.Exif()
        exif[0x0112] = orientation
        params["exif"] = exif.tobytes()
    image.save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def _encode(spec: Spec, pages: Sequence[Image.Image]) -> bytes:
    quality = int(spec.noise.get("jpeg_quality", 88))
    if spec.ext == "pdf":
        buffer = io.BytesIO()
        first, *rest = [page.convert("RGB") for page in pages]
        dates = {"creationDate": _PDF_DATE, "modDate": _PDF_DATE}  # fixed, so the file is deterministic
        first.save(
            buffer,
            format="PDF",
            save_all=True,
            append_images=rest,
            resolution=200.0,
            quality=quality,
            **dates,
        )
        return buffer.getvalue()
    (page,) = pages
    if spec.ext == "png":
        buffer = io.BytesIO()
        page.save(buffer, format="PNG", optimize=True)
        return buffer.getvalue()
    if spec.ext == "heic":
        from pillow_heif import from_pillow

        buffer = io.BytesIO()
        from_pillow(page.convert("RGB")).save(buffer, quality=quality)
        return buffer.getvalue()
    if spec.exif_orientation == 6:
        # Stored sideways, as a phone held in landscape writes it; the tag says how to turn it upright.
        return _jpeg(page.transpose(Image.Transpose.ROTATE_90), quality, orientation=6)
    return _jpeg(page, quality)


# --- the twelve receipts ------------------------------------------------------------------------
def _d(value: str) -> Decimal:
    return Decimal(value)


def specs() -> list[Spec]:
    """The bundled receipts: US, Irish, French, German and Malaysian tills in several layouts."""
    return [
        Spec(
            name="us_grocery",
            ext="jpg",
            vendor="GREEN VALLEY MARKET",
            address=("1450 OAK STREET", "SPRINGFIELD, IL 62704"),
            phone="(217) 555-0142",
            when=datetime(2024, 3, 5, 17, 42),
            date_format="%m/%d/%Y",
            time_format="%I:%M %p",
            currency="USD",
            symbol="$",
            receipt_no="004512",
            items=(
                Item("ORGANIC BANANAS", 1, _d("2.49")),
                Item("WHOLE MILK 1GAL", 2, _d("4.29")),
                Item("SOURDOUGH BREAD", 1, _d("5.99")),
                Item("CHEDDAR CHEESE", 1, _d("6.49")),
                Item("FREE RANGE EGGS", 1, _d("5.79")),
            ),
            tax_rate=_d("0.0225"),
            payment="VISA",
            payment_method="card",
            item_style="columns",
        ),
        Spec(
            name="us_diner_tip",
            ext="jpg",
            vendor="BLUE PLATE DINER",
            address=("88 CENTRAL AVE", "ALBANY, NY 12206"),
            phone="(518) 555-0199",
            when=datetime(2024, 6, 14, 12, 18),
            date_format="%b %d, %Y",
            time_format="%H:%M",
            currency="USD",
            symbol="$",
            receipt_no="T12-0381",
            items=(
                Item("CLUB SANDWICH", 2, _d("11.50")),
                Item("TOMATO SOUP", 1, _d("6.25")),
                Item("ICED TEA", 2, _d("2.95")),
                Item("APPLE PIE", 1, _d("4.75")),
            ),
            tax_rate=_d("0.08"),
            tip=_d("7.50"),
            payment="MASTERCARD",
            payment_method="card",
            item_style="table",
            width=760,
            noise={"speckles": 300, "jpeg_quality": 70},
        ),
        Spec(
            name="us_pharmacy_discount",
            ext="png",
            vendor="WELLCARE PHARMACY",
            address=("2200 MARKET ST", "SAN FRANCISCO, CA 94114"),
            phone="(415) 555-0123",
            when=datetime(2024, 9, 2, 9, 5),
            date_format="%Y-%m-%d",
            time_format="%H:%M",
            currency="USD",
            symbol="$",
            receipt_no="88213",
            items=(
                Item("VITAMIN D3 1000IU", 1, _d("9.99")),
                Item("HAND SANITIZER", 3, _d("2.49")),
                Item("ALLERGY RELIEF 24CT", 1, _d("14.99")),
                Item("BANDAGES ASSORTED", 1, _d("4.49")),
            ),
            discount=_d("5.00"),
            tax_rate=_d("0.08625"),
            payment="CASH",
            payment_method="cash",
            item_style="two_line",
            width=640,
            footer=("REWARDS SAVED YOU $5.00", "THANK YOU"),
        ),
        Spec(
            name="us_gas_station_photo",
            ext="jpg",
            vendor="QUICKSTOP FUEL",
            address=("I-80 EXIT 142", "DES MOINES, IA 50309"),
            phone="(515) 555-0177",
            when=datetime(2024, 11, 23, 7, 51),
            date_format="%m/%d/%y",
            time_format="%H:%M:%S",
            currency="USD",
            symbol="$",
            receipt_no="PUMP 06",
            items=(
                Item("UNLEADED 11.2 GAL", 1, _d("38.53")),
                Item("COFFEE LARGE", 1, _d("2.29")),
                Item("GRANOLA BAR", 2, _d("1.49")),
            ),
            tax_rate=_d("0.06"),
            payment="DEBIT",
            payment_method="card",
            item_style="columns",
            width=660,
            noise={"rotate": 2.5, "border": 40, "blur": 0.7, "speckles": 500, "jpeg_quality": 60},
        ),
        Spec(
            name="us_hotel_bar_two_page",
            ext="pdf",
            vendor="HARBOR VIEW HOTEL",
            address=("1 PIER PLAZA", "BOSTON, MA 02110"),
            phone="(617) 555-0100",
            when=datetime(2024, 10, 3, 22, 37),
            date_format="%m/%d/%Y",
            time_format="%I:%M %p",
            currency="USD",
            symbol="$",
            receipt_no="BAR-20431",
            items=(
                Item("HOUSE RED WINE", 2, _d("12.00")),
                Item("CRAFT IPA", 3, _d("8.50")),
                Item("SPARKLING WATER", 2, _d("4.00")),
                Item("TRUFFLE FRIES", 1, _d("11.00")),
                Item("CHEESE BOARD", 1, _d("18.00")),
                Item("ESPRESSO", 2, _d("3.75")),
                Item("CHOCOLATE TART", 1, _d("9.50")),
                Item("OLD FASHIONED", 1, _d("15.00")),
            ),
            tax_rate=_d("0.07"),
            tip=_d("20.00"),
            discount=_d("6.00"),
            payment="AMEX",
            payment_method="card",
            item_style="table",
            width=800,
            split_pages=True,
        ),
        Spec(
            name="ie_cafe",
            ext="jpg",
            vendor="THE COPPER KETTLE CAFE",
            address=("12 GRAFTON STREET", "DUBLIN 2, IRELAND"),
            phone="+353 1 555 0134",
            when=datetime(2024, 4, 19, 10, 26),
            date_format="%d/%m/%Y",
            time_format="%H:%M",
            currency="EUR",
            symbol="",
            receipt_no="1187",
            items=(
                Item("FLAT WHITE", 2, _d("3.80")),
                Item("SCONE WITH JAM", 2, _d("3.50")),
                Item("ORANGE JUICE", 1, _d("3.20")),
            ),
            tip=_d("2.00"),
            payment="CARD",
            payment_method="card",
            item_style="columns",
            width=620,
        ),
        Spec(
            name="fr_bistro",
            ext="heic",
            vendor="BISTRO LE MARAIS",
            address=("27 RUE DES ROSIERS", "75004 PARIS"),
            phone="01 42 55 01 88",
            when=datetime(2024, 7, 8, 20, 12),
            date_format="%d.%m.%Y",
            time_format="%H:%M",
            currency="EUR",
            symbol="",
            receipt_no="000734",
            items=(
                Item("CROQUE MONSIEUR", 2, _d("12.50")),
                Item("SALADE NICOISE", 1, _d("14.00")),
                Item("CARAFE DE VIN", 1, _d("16.00")),
                Item("CAFE CREME", 2, _d("3.90")),
            ),
            tax_rate=_d("0.10"),
            tax_label="TVA",
            payment="CB",
            payment_method="card",
            decimal_comma=True,
            item_style="two_line",
            width=700,
            footer=("MERCI DE VOTRE VISITE",),
        ),
        Spec(
            name="de_baeckerei",
            ext="jpg",
            vendor="BAECKEREI SCHMIDT",
            address=("HAUPTSTRASSE 14", "10115 BERLIN"),
            phone="030 5550 1234",
            when=datetime(2024, 2, 27, 8, 3),
            date_format="%d.%m.%Y",
            time_format="%H:%M",
            currency="EUR",
            symbol="",
            receipt_no="5521",
            items=(
                Item("ROGGENBROT", 1, _d("4.20")),
                Item("BROETCHEN", 6, _d("0.45")),
                Item("APFELSTRUDEL", 2, _d("2.90")),
            ),
            tax_rate=_d("0.07"),
            tax_label="MWST",
            payment="BAR",
            payment_method="cash",
            decimal_comma=True,
            item_style="columns",
            width=600,
            footer=("DANKE FUER IHREN EINKAUF",),
            noise={"blur": 0.6, "jpeg_quality": 75},
        ),
        Spec(
            name="my_kedai_runcit",
            ext="jpg",
            vendor="KEDAI RUNCIT AH SENG SDN BHD",
            address=("NO 12, JALAN PUDU", "55100 KUALA LUMPUR"),
            phone="03-2145 8890",
            when=datetime(2018, 1, 12, 13, 45),
            date_format="%d %b %Y",
            time_format="%H:%M",
            currency="MYR",
            symbol="RM ",
            receipt_no="CS00012345",
            items=(
                Item("MILO 1KG", 1, _d("18.90")),
                Item("GARDENIA BREAD", 2, _d("3.80")),
                Item("BERAS 5KG", 1, _d("16.50")),
                Item("TELUR GRED A 30", 1, _d("12.60")),
            ),
            tax_rate=_d("0.06"),
            tax_label="GST",
            payment="CASH",
            payment_method="cash",
            item_style="table",
            width=760,
            footer=("GOODS SOLD ARE NOT RETURNABLE", "THANK YOU"),
        ),
        Spec(
            name="my_hardware_exif_rotated",
            ext="jpg",
            vendor="SYARIKAT PERKAKASAN MAJU",
            address=("LOT 8, JALAN INDUSTRI 3", "47000 SUNGAI BULOH, SELANGOR"),
            phone="03-6156 7721",
            when=datetime(2018, 3, 21, 16, 20),
            date_format="%d/%m/%Y",
            time_format="%H:%M",
            currency="MYR",
            symbol="",
            receipt_no="INV-2018-0442",
            items=(
                Item("PVC PIPE 1/2 IN", 4, _d("6.50")),
                Item("CEMENT 50KG", 2, _d("19.80")),
                Item("PAINT BRUSH 3 IN", 1, _d("8.90")),
            ),
            tax_rate=_d("0.06"),
            tax_label="GST",
            payment="CASH",
            payment_method="cash",
            item_style="two_line",
            width=700,
            exif_orientation=6,
        ),
        Spec(
            name="my_mamak_restaurant",
            ext="jpg",
            vendor="RESTORAN NASI KANDAR PELITA",
            address=("149, JALAN AMPANG", "50450 KUALA LUMPUR"),
            phone="03-2162 5532",
            when=datetime(2019, 1, 15, 21, 9),
            date_format="%d-%m-%Y",
            time_format="%H:%M:%S",
            currency="MYR",
            symbol="",
            receipt_no="T05-88120",
            items=(
                Item("NASI KANDAR AYAM", 2, _d("11.50")),
                Item("ROTI CANAI", 3, _d("1.60")),
                Item("TEH TARIK", 3, _d("2.20")),
                Item("MAGGI GORENG", 1, _d("7.00")),
            ),
            tax_rate=_d("0.06"),
            tax_label="SST",
            payment="CASH",
            payment_method="cash",
            item_style="columns",
            width=680,
            noise={"rotate": -1.5, "border": 30, "blur": 0.5, "speckles": 400, "jpeg_quality": 65},
        ),
        Spec(
            name="us_bookstore",
            ext="jpg",
            vendor="RIVERSIDE BOOKS",
            address=("310 COLLEGE AVE", "BERKELEY, CA 94705"),
            phone="(510) 555-0166",
            when=datetime(2024, 12, 20, 15, 2),
            date_format="%m/%d/%Y",
            time_format="%H:%M",
            currency="USD",
            symbol="$",
            receipt_no="RB-77120",
            items=(
                Item("HARDCOVER FICTION", 1, _d("28.00")),
                Item("BOOKMARK SET", 2, _d("3.50")),
                Item("WRAPPING", 1, _d("2.00")),
            ),
            discount=_d("4.20"),
            tax_rate=_d("0.1025"),
            payment="VISA",
            payment_method="card",
            item_style="columns",
            width=640,
            footer=("MEMBER DISCOUNT 15%", "HAPPY READING"),
        ),
    ]


def render_sample(spec: Spec) -> bytes:
    """The encoded file of one receipt (deterministic: the noise is seeded by the receipt's name)."""
    rng = random.Random(spec.name)
    pages = [degrade(page, spec.noise, rng) for page in render_pages(spec)]
    return _encode(spec, pages)


def truth_path(receipt: Path) -> Path:
    """Where the ground truth of a rendered receipt lives (``../truth/<name>.json``)."""
    return receipt.parent.parent / "truth" / f"{receipt.stem}.json"


def render_samples(out_dir: Path) -> list[Path]:
    """Write every receipt into ``out_dir/receipts`` and its ground truth into ``out_dir/truth``;
    return the receipt paths."""
    written = []
    for spec in specs():
        path = out_dir / "receipts" / f"{spec.name}.{spec.ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_sample(spec))
        truth = truth_path(path)
        truth.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(ground_truth(spec), indent=2, ensure_ascii=False) + "\n"
        truth.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: render the samples into the given folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="folder to write receipts/ and truth/ into")
    args = parser.parse_args(argv)
    paths = render_samples(args.out_dir)
    total = sum(p.stat().st_size + truth_path(p).stat().st_size for p in paths)
    for path in paths:
        print(f"{path.name:36} {path.stat().st_size / 1024:8.1f} KB")
    print(f"{len(paths)} receipts, {total / 1024 / 1024:.2f} MB with ground truth, in {args.out_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
