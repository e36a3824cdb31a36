"""Unit: classes of failure seen on noisy photos and scans, in several languages — the total that cash
less change settles against a gross figure from the VAT table, cue words OCR misread, US and
Australian locale evidence, dates whose separators or year OCR garbled, abbreviated currencies glued
to the amount. Receipts written for these tests, OCR lines with boxes (``layouts.receipt_lines``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from receiptflow.extract import cue_table, extract_receipt
from receiptflow.extract.cue_table import roles
from receiptflow.extract.locales import infer_date_locale
from receiptflow.money import DOT, find_amounts

from tests.unit.extract.layouts import receipt_lines


def _total(rows: list[str]) -> Decimal | None:
    total = extract_receipt(receipt_lines(rows)).total
    return total.value if total is not None else None


def _date(rows: list[str]) -> dt.date | None:
    return extract_receipt(receipt_lines(rows)).date.value


# --- cash − change settles the total ----------------------------------------------------------------
# The total's own label faded or misread; cash less change still says which amount it is, not the
# labelled gross figure of the VAT table under it.


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # German DIY store: the VAT table's last row is a gross figure of another column
        (
            [
                "BAUHAUS",
                "12345 Berlin",
                "Schrauben | 4,99",
                "Farbe weiss | 19,24",
                "EURO | 24,23",  # the label faded
                "BARGELD | 40,00",
                "ZURÜCK | 15,77",
                "MwSt% | Netto | MwSt | Brutto",
                "A 19% | 20,36 | 3,87 | 24,23",
                "Gesamt Brutto | 28,50",
            ],
            "24.23",
        ),
        # Polish shop: a gross total of the PTU table under the payment
        (
            [
                "SKLEP SPOŻYWCZY",
                "Chleb | 4,99 C",
                "Mleko | 3,49 C",
                "8,48",  # the label faded
                "Gotówka | 20,00",
                "Reszta | 11,52",
                "PTU C 5% | 0,40",
                "SUMA BRUTTO | 12,90",
            ],
            "8.48",
        ),
        # Spanish bar: change printed as a negative amount, a total of the IVA table below
        (
            [
                "BAR PEPE",
                "Caña | 2,00",
                "Tapa | 3,50",
                "TOTAL | 5,50",
                "EFECTIVO | 10,00",
                "CAMBIO | -4,50",
                "BASE | IVA | TOTAL",
                "5,00 | 0,50 | 5,50",
                "TOTAL BRUTO | 7,80",
            ],
            "5.50",
        ),
        # Czech café: the VAT recap's gross in a larger sum
        (
            [
                "KAVÁRNA U MOSTU",
                "Káva | 59,00",
                "Dort | 89,00",
                "148,00",  # the label faded
                "Hotovost | 200,00",
                "Vráceno | 52,00",
                "Sazba | Základ | DPH | Celkem",
                "12% | 132,14 | 15,86 | 148,00",
                "Celkem brutto | 171,00",
            ],
            "148.00",
        ),
    ],
)
def test_cash_less_change_settles_the_total(rows: list[str], expected: str) -> None:
    assert _total(rows) == Decimal(expected)


def test_a_coupon_keeps_the_amount_before_it() -> None:
    # a discount on the receipt: the amount before it stands (the SROIE labels' convention)
    rows = [
        "PIZZA SHOP SDN BHD",
        "Pizza | 25.60",
        "Sub-Total | 25.60",
        "Coupon Discount | 21.70",
        "Grand Total | 3.90",
        "Payment | 5.00",
        "Change Due | 1.10",
    ]
    assert _total(rows) == Decimal("3.90")


# --- cue words OCR misread -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("2U ZAHLEN", "due"),  # German, a 2 for the Z
        ("SUMNE EUR", "total"),  # German, an N for the M
        ("BARGELO", "cash"),
        ("RUCKGELO", "change"),
        ("T0PLAM", "total"),  # Turkish, a 0 for the O
        ("RESZTE", "change"),  # Polish
        ("T0TAAL", "total"),  # Dutch
    ],
)
def test_cue_words_with_ocr_slips(text: str, role: str) -> None:
    assert role in roles(text)


def test_mending_leaves_other_words() -> None:
    assert cue_table.mend_ocr("SUMMER ROLLS") == "SUMMER ROLLS"
    assert cue_table.mend_ocr("CHARGE") == "CHARGE"  # a cue word itself is not "mended" to a neighbour
    assert not roles("A4 PAPIER 5 BLATT")
    assert not roles("Schrauben 4x40")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [
                "OBI",
                "Farbe | 19,24",
                "Pinsel | 5,00",
                "2U ZAHLEN | 24,24",
                "Kartenzahlung | 24,24",
                "Netto 20,37",
            ],
            "24.24",
        ),
        (
            ["MİGROS", "Ekmek | 5,00", "Süt | 24,50", "T0PLAM | 29,50", "KDV | 0,30", "KREDİ KARTI | 29,50"],
            "29.50",
        ),
        (["Jumbo", "Kaas | 4,99", "Brood | 2,29", "T0TAAL | 7,28", "BTW 9% | 0,60", "PIN | 7,28"], "7.28"),
    ],
)
def test_totals_with_misread_cues(rows: list[str], expected: str) -> None:
    assert _total(rows) == Decimal(expected)


# --- locale evidence ---------------------------------------------------------------------------------


def test_us_town_and_state_without_zip_reads_month_first() -> None:
    rows = [
        "Cracker Barrel Store #337",
        "Springville, UT",
        "GST 2",
        "TBL 215/1",
        "04/11/17 4:03PM",
        "Total 18.40",
    ]
    locale = infer_date_locale(rows)
    assert locale.month_first
    assert "words" not in locale.votes  # "GST 2" is the number of guests
    assert _date(rows) == dt.date(2017, 4, 11)


def test_guest_count_is_no_goods_and_services_tax() -> None:
    rows = ["MASTORIS DINER", "144 ROUTE 130 BORDENTOWN,NJ", "GST: 3", "05/06/17 9:32AM", "Total 31.07"]
    assert _date(rows) == dt.date(2017, 5, 6)


@pytest.mark.parametrize(
    "rows",
    [
        [
            "TUSCANY RISTORANTE",
            "55 NORTON STREET",
            "LEICHHARDT NSW 2040",
            "05/06/2017 9.38 PM",
            "Total $42.00",
        ],
        ["Royal Hotel", "Tax Invoice", "ABN: 12 097 860 887", "05/06/2017", "Total $69.60"],
    ],
)
def test_australian_dollars_are_day_first(rows: list[str]) -> None:
    assert not infer_date_locale(rows).month_first
    assert _date(rows) == dt.date(2017, 6, 5)


# --- dates OCR garbled -------------------------------------------------------------------------------

_US_HEAD = ["JOE'S DINER", "1610 DEMING WAY", "MIDDLETON, WI 53562", "TEL:608-827-8898"]


@pytest.mark.parametrize(
    "printed",
    [
        "11/02 /2017 6:04PM",  # a space before a separator
        "11 /02/2017",
        "11,02/2017",  # a comma for the first slash
        "11/02.2017",  # a dot for the second
        "11:02:2017 6:04PM",  # colons
        "Date: 11/0217 18:04",  # the second separator lost
    ],
)
def test_us_dates_with_noisy_separators(printed: str) -> None:
    rows = [*_US_HEAD, printed, "Burger | $9.19", "Tax | $0.64", "Total | $9.83"]
    assert _date(rows) == dt.date(2017, 11, 2)


def test_a_glyph_for_the_years_last_digit() -> None:
    rows = [*_US_HEAD, "Date: 07-03-201σ Time: 6:04PM", "Burger | $9.19", "Total | $9.83"]
    assert _date(rows) == dt.date(2016, 7, 3)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ["EDEKA", "50668 Köln", "Brot | 2,49", "SUMME EUR | 2,49", "Datum: 05.03 .2025 14:22"],
            dt.date(2025, 3, 5),
        ),
        (
            ["Żabka", "NIP 779-10-11-327", "Woda 2,99 zł", "SUMA PLN 2,99", "05-03.2025 14:22"],
            dt.date(2025, 3, 5),
        ),
        (
            ["Bar Pepe", "C.I.F. B-39541693", "Caña 2,00", "TOTAL 2,00", "Fecha: 05/03/202b 14:22"],
            dt.date(2026, 3, 5),
        ),
    ],
)
def test_day_first_dates_with_noisy_separators(rows: list[str], expected: dt.date) -> None:
    assert _date(rows) == expected


# --- currency ----------------------------------------------------------------------------------------


def test_abbreviated_currency_with_a_dot_before_the_amount() -> None:
    assert [a.value for a in find_amounts("Net Amount Rs.120.00", DOT)] == [Decimal("120.00")]
    assert find_amounts("INV.12.50", DOT) == []  # a document number, not money
    rows = ["Sharma Sweets", "GSTIN 07ABCDE1234F1Z5", "Ladoo Rs.120.00", "Net Amount Rs.120.00"]
    receipt = extract_receipt(receipt_lines(rows))
    assert receipt.total is not None and receipt.total.value == Decimal("120.00")
    assert receipt.currency.value == "INR"


@pytest.mark.parametrize(
    "rows",
    [
        ["MEDIA MARKT", "TV-HIFI-ELEKTRO GMBH", "Kabel | 9,99", "SUMME | 9,99"],
        ["Albert Heijn", "Kaas | 4,99", "TOTAAL | 4,99", "BTW 9% | 0,41"],
        ["Bar Roma", "P.IVA 01234567890", "Caffè | 1,20", "TOTALE | 1,20"],
        ["Café de Flore", "SIRET 572 051 832 00018", "Café | 2,50", "TOTAL TTC | 2,50"],
    ],
)
def test_euro_from_the_words_when_none_is_printed(rows: list[str]) -> None:
    assert extract_receipt(receipt_lines(rows)).currency.value == "EUR"


# --- curled multi-script receipts: cue words, currencies glued to amounts, eras ----------------------


@pytest.mark.parametrize(
    ("rows", "total", "date", "currency"),
    [
        (
            [
                "ร้านกาแฟ",
                "กาแฟเย็น 45.00",
                "ขนมปัง 30.00",
                "รวม 75.00",
                "เงินสด 100.00",
                "ทอน 25.00",
                "05/03/68 14:22",
            ],
            "75.00",
            "2025-03-05",
            "THB",
        ),
        (["Tops", "น้ำ ฿15.00", "ยอดสุทธิ ฿15.00", "วันที่ 05/03/2568"], "15.00", "2025-03-05", "THB"),
        (
            [
                "Сільпо",
                "Хліб 24,50грн",
                "Молоко 38,90грн",
                "СУМА 63,40грн",
                "ГОТІВКА 100,00грн",
                "РЕШТА 36,60грн",
                "05.03.2025 14:22",
            ],
            "63.40",
            "2025-03-05",
            "UAH",
        ),
        (
            [
                "A101",
                "Ekmek ₺5,00",
                "Süt ₺24,50",
                "TOPLAM ₺29,50",
                "NAKİT ₺50,00",
                "PARA ÜSTÜ ₺20,50",
                "TARİH: 05.03.2025 SAAT: 14:22",
            ],
            "29.50",
            "2025-03-05",
            "TRY",
        ),
        (["Rossmann", "Krem 19,99PLN", "Razem: 19,99PLN", "05.03.2025"], "19.99", "2025-03-05", "PLN"),
        (
            [
                "BILLA",
                "Rohlík 3,90 Kč",
                "Máslo 54,90 Kč",
                "K ÚHRADĚ: 58,80Kč",
                "Hotovost 100,00Kč",
                "Vráceno 41,20Kč",
                "05.03.2025 14:22",
            ],
            "58.80",
            "2025-03-05",
            "CZK",
        ),
        (["БИЛЛА", "Вода 1,20ЛВ", "ОБЩО: 1,20ЛВ", "Дата 05-03-2025"], "1.20", "2025-03-05", "BGN"),
    ],
)
def test_multi_script_receipts(rows: list[str], total: str, date: str, currency: str) -> None:
    receipt = extract_receipt(receipt_lines(rows))
    assert receipt.total is not None and receipt.total.value == Decimal(total)
    assert receipt.date.value == dt.date.fromisoformat(date)
    assert receipt.currency.value == currency


def test_us_phone_with_its_bracket_lost() -> None:
    rows = ["WELCOME", "Te1 604) 513-9420", "FUEL", "05/06/17 16:26", "TOTAL 33.00"]
    assert infer_date_locale(rows).votes.get("phone", 0) > 0
    assert _date(rows) == dt.date(2017, 5, 6)


# --- labels side by side over their amounts ----------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            ["IMBISS AM ECK", "Döner | 7,50", "Cola | 2,50", "Pommes | 3,50", "Bier | 3,90", "17,40"]
            + ["BAR | RÜCKGELD", "20,00 | 2,60", "MwSt 7% | 1,14", "Gesamt Brutto | 19,90"],
            "17.40",
        ),
        (
            ["NOODLE BAR", "Ramen | $10.90", "Gyoza | $7.90", "Rice | $11.90", "Tea | $7.90", "Beer | $3.90"]
            + ["$42.50", "CASH | CHANGE", "$50.00 | $7.50", "Total incl. points | $52.00"],
            "42.50",
        ),
        (
            ["BAR MLECZNY", "Pierogi | 18,00", "Kompot | 4,50", "22,50", "GOTÓWKA | RESZTA", "50,00 | 27,50"]
            + ["SUMA BRUTTO | 25,00"],
            "22.50",
        ),
        (
            ["CAFETERÍA SOL", "Café | 1,50", "Tostada | 2,50", "4,00", "EFECTIVO | CAMBIO", "5,00 | 1,00"]
            + ["TOTAL BRUTO | 4,84"],
            "4.00",
        ),
    ],
)
def test_cash_and_change_labels_over_their_amounts(rows: list[str], expected: str) -> None:
    # the total's label faded; cash and change are printed as two labels over two amounts
    assert _total(rows) == Decimal(expected)
