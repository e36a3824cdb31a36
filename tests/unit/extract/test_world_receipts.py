"""Unit: receipts of the countries the product is measured on (Germany, Poland, Czechia, Turkey, Spain,
Portugal, Ukraine, Bulgaria, Thailand, India) read whole: vendor, date, total and currency, also as a
phone photo or a low-quality OCR would deliver them (issue 11, round 2).

The receipts are in ``world_receipts.py``; each pins a class (deposit and empties, a two-rate VAT table
under the total, a discount before the total, a petrol pump line in litres, a Polish fiscal receipt,
Cyrillic legal-entity lines, a Buddhist-era year, Indian CGST/SGST …).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.locales import country_currency
from receiptflow.models.ocr_lines import OcrLine

from tests.unit.extract.layouts import receipt_lines
from tests.unit.extract.world_receipts import WORLD, WorldReceipt

_IDS = [w.name for w in WORLD]


@pytest.mark.parametrize("world", WORLD, ids=_IDS)
def test_every_field_of_a_receipt_from_abroad(world: WorldReceipt) -> None:
    receipt = extract_receipt(receipt_lines(list(world.rows)))
    assert receipt.vendor_name.value == world.vendor
    assert receipt.date.value == world.date
    assert receipt.total.value == world.total
    assert receipt.currency.value == world.currency


def _curled(lines: Sequence[OcrLine], sag: float) -> list[OcrLine]:
    """A curled phone photo: the right side of the paper sags by up to ``sag`` px, so amounts drift
    off their labels' rows."""
    out = []
    for ln in lines:
        x0, y0, x1, y1 = ln.box
        dy = sag * (((x0 + x1) / 2) / 400.0) ** 2
        out.append(replace(ln, box=(x0, y0 + dy, x1, y1 + dy)))
    return out


def _one_line_per_row(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """The OCR detector reads each printed row as one line ("SUMME EUR 14,36")."""
    rows: dict[float, list[OcrLine]] = {}
    for ln in lines:
        rows.setdefault(ln.y0, []).append(ln)
    out = []
    for segs in rows.values():
        segs.sort(key=lambda s: s.x0)
        box = (segs[0].x0, segs[0].y0, segs[-1].x1, segs[-1].y1)
        out.append(replace(segs[0], text=" ".join(s.text for s in segs), box=box))
    return out


# letters OCR confuses on small or faded print; digits are left alone (their slips are money's tests)
_SLIPS = {"a": "o", "e": "c", "i": "l", "u": "v", "m": "n", "n": "m", "E": "F", "M": "N", "U": "V", "ü": "u"}


def _misread_letters(lines: Sequence[OcrLine], seed: str) -> list[OcrLine]:
    """One letter in seven misread (labels such as ``SUMME`` become ``SUNME``)."""
    rng = random.Random(seed)
    return [
        replace(ln, text="".join(_SLIPS[c] if c in _SLIPS and rng.random() < 0.15 else c for c in ln.text))
        for ln in lines
    ]


def _small(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """A photo under 500 px wide: every box at 40 %."""
    return [replace(ln, box=(ln.x0 * 0.4, ln.y0 * 0.4, ln.x1 * 0.4, ln.y1 * 0.4)) for ln in lines]


_READINGS: dict[str, Callable[[list[OcrLine], str], list[OcrLine]]] = {
    "curled": lambda lines, _: _curled(lines, 25.0),
    "one-line-per-row": lambda lines, _: _one_line_per_row(lines),
    "misread-letters": _misread_letters,
    "small": lambda lines, _: _small(lines),
}


@pytest.mark.parametrize("reading", sorted(_READINGS))
@pytest.mark.parametrize("world", WORLD, ids=_IDS)
def test_total_and_date_survive_photo_and_ocr_damage(world: WorldReceipt, reading: str) -> None:
    # GIVEN the receipt as a curled photo, read one line per row, with letters misread, or tiny
    lines = _READINGS[reading](receipt_lines(list(world.rows)), world.name)
    receipt = extract_receipt(lines)
    # THEN the amount paid and the day of the sale are still read
    assert receipt.total.value == world.total
    assert receipt.date.value == world.date


def test_the_logo_over_the_station_that_names_its_owner_is_the_vendor() -> None:
    # GIVEN "Aral" printed large over "Tankstelle Müller" over the owner "Inh. Peter Müller e.K."
    # (the station's line shares a word with the legal line; the logo does not)
    rows: list[str | tuple[str, float]] = [
        ("Aral", 60),
        "Tankstelle Müller",
        "Inh. Peter Müller e.K.",
        "Bahnhofstr. 5",
        "12345 Musterstadt",
        "Summe | 81,70 EUR",
    ]
    assert extract_receipt(receipt_lines(rows)).vendor_name.value == "Aral"


@pytest.mark.parametrize(
    ("brand", "legal"),
    [("АТБ", "ТОВ «АТБ-маркет»"), ("BILLA", "Била България ЕООД"), ("Пятёрочка", "ООО «Агроторг»")],
)
def test_a_cyrillic_legal_line_is_not_joined_to_the_brand_above_it(brand: str, legal: str) -> None:
    rows: list[str | tuple[str, float]] = [(brand, 60), legal, "м. Київ, вул. Хрещатик, 10", "СУМА | 123,45"]
    assert extract_receipt(receipt_lines(rows)).vendor_name.value == brand


@pytest.mark.parametrize(
    ("texts", "currency"),
    [
        (["TOPKDV *15,47", "TOPLAM *137,50"], "TRY"),
        (["ПДВ А 20,00% 20,58", "СУМА 123,45"], "UAH"),
        (["ДДС Б = 20,00% 3,91", "ОБЩО 23,45"], "BGN"),
        (["ИТОГО 123,45", "НДС 20% 20,58"], "RUB"),
        (["รวม 125.00", "เงินสด 200.00"], "THB"),
        (["PARAGON FISKALNY", "SUMA 23,46"], "PLN"),
        (["Celkem 245,90", "DPH 21%"], "CZK"),
        (["GSTIN: 33AAACH1234F1Z5", "CGST @2.5% 9.50", "GST 19.00"], "INR"),
        (["TOKYO KITCHEN SDN BHD", "GST 6% 1.20"], "MYR"),
        (["Coffee 3.50", "TOTAL 3.50"], None),
    ],
)
def test_currency_of_a_receipt_that_prints_none_comes_from_its_country(
    texts: list[str], currency: str | None
) -> None:
    assert country_currency(texts) == currency
