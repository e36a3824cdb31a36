"""Unit: the tax of receipts that print it as a summary table, as several lines of different kinds or
rates, or as a row of base and tax; the table's head labels no subtotal; rounding to half a unit.
Receipts written for these tests (German, Czech, Spanish, Portuguese, Belgian French, French, Indian,
Canadian, Polish, Malaysian, US)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.layout import group_rows
from receiptflow.extract.tax_table import find_tax_tables, row_tax
from receiptflow.models import Receipt
from receiptflow.money import COMMA, DOT, Convention

from tests.unit.extract.layouts import receipt_lines


def _read(rows: list[str | tuple[str, float]]) -> Receipt:
    return extract_receipt(receipt_lines(rows))


GERMAN = [
    ("REWE", 40.0),
    "REWE Markt GmbH",
    "Hauptstr. 12",
    "10115 Berlin",
    "Vollmilch 3,5% | 1,19 B",
    "Pfand | 0,25 A",
    "Spülmittel | 1,95 A",
    "Kaffee Crema | 12,99 B",
    "SUMME | EUR 16,38",
    "Geg. BAR | EUR 20,00",
    "Rückgeld | EUR 3,62",
    "Steuer % | Netto | Steuer | Brutto",
    "A= 19,0% | 1,85 | 0,35 | 2,20",
    "B= 7,0% | 13,25 | 0,93 | 14,18",
    "Gesamtbetrag | 15,10 | 1,28 | 16,38",
    "03.12.2026 14:32 Bon-Nr.:4711",
]
CZECH = [
    ("ALBERT", 40.0),
    "Albert Česká republika, s.r.o.",
    "Radlická 117, 158 00 Praha 5",
    "Rohlík 10 x 2,90 | 29,00 B",
    "Sýr Eidam 30% | 54,90 B",
    "Pivo Plzeň 0,5l | 32,90 A",
    "CELKEM | 116,80 Kč",
    "Platba kartou | 116,80",
    "DPH | Základ | Daň",
    "A 21% | 27,19 | 5,71",
    "B 12% | 75,09 | 9,01",
    "Datum: 15.10.2026 18:22",
]
SPANISH = [
    ("MERCADONA, S.A.", 34.0),
    "C/ GRAN VIA 21, 28013 MADRID",
    "12/03/2026 13:47",
    "1 LECHE ENTERA | 0,95",
    "1 ACEITE OLIVA 1L | 8,95",
    "TOTAL (€) | 9,90",
    "EFECTIVO | 20,00",
    "CAMBIO | 10,10",
    "IVA | BASE IMPONIBLE (€) | CUOTA (€)",
    "4% | 0,91 | 0,04",
    "10% | 8,14 | 0,81",
    "TOTAL | 9,05 | 0,85",
]
PORTUGUESE = [
    ("Continente", 40.0),
    "MODELO CONTINENTE HIPERMERCADOS, S.A.",
    "Rua João Mendonça, 505",
    "Pão de Forma | 1,89 C",
    "Bacalhau Graúdo | 14,99 A",
    "TOTAL A PAGAR | 16,88",
    "Multibanco | 16,88",
    "Taxa | Base | IVA",
    "A 6% | 14,14 | 0,85",
    "C 23% | 1,54 | 0,35",
    "Data: 07-08-2026",
]
BELGIAN = [
    ("EL GRECO", 40.0),
    "1000 Bruxelles",
    "jeudi 23 juin 2016 14:42",
    "4 Coca cola light 3.25 | 13.00",
    "1 Brochette d'agneau | 31.50",
    "TOTAL | 44.50",
    "HTVA | TAXE | TVAC",
    "TVA 21.00% BOISSONS | 10.74 | 2.26 | 13.00",
    "TVA 12.00% CUISINE | 28.12 | 3.38 | 31.50",
    "TOTAL | 38.86 | 5.64 | 44.50",
]


@pytest.mark.parametrize(
    ("rows", "tax", "total"),
    [
        (GERMAN, "1.28", "16.38"),
        (CZECH, "14.72", "116.80"),
        (SPANISH, "0.85", "9.90"),
        (PORTUGUESE, "1.20", "16.88"),
        (BELGIAN, "5.64", "44.50"),
    ],
    ids=["de", "cs", "es", "pt", "be"],
)
def test_tax_is_what_the_tax_table_sums_to_and_its_head_labels_no_subtotal(
    rows: list[str | tuple[str, float]], tax: str, total: str
) -> None:
    # GIVEN a receipt whose tax is printed only in a summary table at its foot
    receipt = _read(rows)
    # THEN the tax is the table's (its total row's, or its rate rows' sum), the total is untouched,
    # and no row under the table's head (DPH | Základ | Daň) is taken for a subtotal
    assert receipt.tax.value == Decimal(tax)
    assert receipt.total.value == Decimal(total)
    assert receipt.subtotal.value is None


def test_tax_lines_of_different_kinds_add_up_when_the_subtotal_says_so() -> None:
    # GIVEN an Indian bill: central and state GST, rounded to the rupee
    rows: list[str | tuple[str, float]] = [
        ("SARAVANA BHAVAN", 40.0),
        "GSTIN: 33AAACS1234F1Z5",
        "Date: 05/11/2026",
        "Masala Dosa 2 x 120.00 | 240.00",
        "Filter Coffee 2 x 45.00 | 90.00",
        "Idli Vada 1 x 95.00 | 95.00",
        "Sub Total | 425.00",
        "CGST @2.5% | 10.63",
        "SGST @2.5% | 10.63",
        "Round Off | -0.26",
        "Grand Total | ₹ 446.00",
    ]
    receipt = _read(rows)
    # THEN both taxes count, and a rounding of 26 paise is a rounding, not a total
    assert receipt.tax.value == Decimal("21.26")
    assert receipt.total.value == Decimal("446.00")
    assert all(check.passed for check in receipt.checks if check.name == "totals_add_up")


def test_canadian_gst_and_pst_add_up() -> None:
    rows: list[str | tuple[str, float]] = [
        ("MAGIC MOUNTAIN", 40.0),
        "Moncton, NB",
        "Date: 07/15/2017 12:25",
        "Subtotal: | $21.00",
        "GST 5%: | $1.05",
        "PST 7%: | $1.47",
        "Total: | $23.52",
    ]
    assert _read(rows).tax.value == Decimal("2.52")


def test_french_tax_lines_at_two_rates_add_up_without_a_subtotal() -> None:
    rows: list[str | tuple[str, float]] = [
        ("CARREFOUR MARKET", 40.0),
        "15 Rue de Rivoli 75004 PARIS",
        "Pain de campagne | 2,10",
        "Vin rouge AOC | 7,90",
        "TOTAL | 10,00 €",
        "CB | 10,00 €",
        "TVA 5,5% | 0,11",
        "TVA 20% | 1,32",
        "Le 02/05/2026 à 11:08",
    ]
    assert _read(rows).tax.value == Decimal("1.43")


def test_the_same_tax_printed_twice_counts_once() -> None:
    rows: list[str | tuple[str, float]] = [
        ("CORNER DELI", 40.0),
        "Brooklyn, NY 11217",
        "04/07/2026",
        "SUBTOTAL | $24.51",
        "TAX | $1.15",
        "TOTAL | $25.66",
        "VISA | $25.66",
        "TAX | $1.15",
    ]
    assert _read(rows).tax.value == Decimal("1.15")


def test_a_total_tax_line_wins_over_its_parts() -> None:
    # a Polish fiscal receipt: gross sales and PTU per rate, then their sum
    rows: list[str | tuple[str, float]] = [
        ("Biedronka", 40.0),
        "JERONIMO MARTINS POLSKA S.A.",
        "2026-11-28",
        "PARAGON FISKALNY",
        "Chleb żytni 1 x3,49 | 3,49 C",
        "Woda mineralna 6 x1,79 | 10,74 A",
        "Sprzedaż opodatkowana A | 10,74",
        "PTU A 23,00 % | 2,01",
        "Sprzedaż opodatkowana C | 3,49",
        "PTU C 5,00 % | 0,17",
        "Suma PTU | 2,18",
        "SUMA PLN | 14,23",
    ]
    receipt = _read(rows)
    assert receipt.tax.value == Decimal("2.18")
    assert receipt.total.value == Decimal("14.23")
    assert receipt.subtotal.value is None  # per-rate sales are not a subtotal


def test_a_row_of_base_and_tax_gives_the_tax_its_rate_names() -> None:
    rows: list[str | tuple[str, float]] = [
        ("La Aventura", 40.0),
        "Calle Far, 7",
        "2 Copa Vino | 6,00",
        "1 Calamar Andaluza | 7,50",
        "Total | 13,50",
        "EFECTIVO | 13,50",
        "IVA 10% | 12,27 | 1,23",
        "06/09/2017 13:45",
    ]
    assert _read(rows).tax.value == Decimal("1.23")


def _row_tax(text: str, convention: Convention) -> Decimal | None:
    found = row_tax(group_rows(receipt_lines([text]))[0], frozenset(), convention)
    return None if found is None else found.value


def test_row_tax_reads_rows_by_arithmetic_not_column_words() -> None:
    # gross first or last, net + tax = gross: the smaller addend is the tax
    assert _row_tax("A 19% | 1,85 | 0,35 | 2,20", COMMA) == Decimal("0.35")
    assert _row_tax("B | 16,46 | 15,38 | 1,08", COMMA) == Decimal("1.08")
    # two amounts and a rate: the one the rate gives, from net or from gross
    assert _row_tax("SR @ 6% | 15.09 | 0.91", DOT) == Decimal("0.91")
    assert _row_tax("7% | 16,46 | 1,08", COMMA) == Decimal("1.08")
    # amounts that fit no reading: unknown, not a guess
    assert _row_tax("A 19% | 5,00 | 3,00 | 9,00", COMMA) is None
    assert _row_tax("X | 5,00 | 3,00", COMMA) is None


def test_a_label_over_its_amount_is_no_table() -> None:
    # "TOTAL INCL. GST" names two column words, but it is the total's label over its amount
    rows = group_rows(receipt_lines(["TOTAL INCL. GST", "12.60 | 3.40"]))
    assert find_tax_tables(rows) == []


def test_a_tax_id_row_labels_no_amount_under_it() -> None:
    # GIVEN a VAT registration number right above the first item
    rows: list[str | tuple[str, float]] = [
        ("TESCO", 40.0),
        "Covent Garden Express",
        "VAT No: GB 220 4302 31",
        "MEAL DEAL | £3.50",
        "BANANAS LOOSE | £0.68",
        "TOTAL | £4.18",
        "CONTACTLESS | £4.18",
        "VAT RATE | NET | VAT",
        "S 20.00% | 0.57 | 0.11",
        "Z 0.00% | 3.50 | 0.00",
    ]
    receipt = _read(rows)
    # THEN the item is no tax: the tax is the table's
    assert receipt.tax.value == Decimal("0.11")
    assert receipt.total.value == Decimal("4.18")


def test_a_head_that_names_itself_a_table_is_one_even_with_an_amount_word() -> None:
    # Swiss: "Betrag" (amount) is a total word too
    rows: list[str | tuple[str, float]] = [
        ("MIGROS", 40.0),
        "Limmatplatz, 8005 Zürich",
        "Milch UHT | 1.95",
        "Käse Gruyère | 7.45",
        "Total CHF | 9.40",
        "Bar | 10.00",
        "Rückgeld | 0.60",
        "MWST | Satz | Betrag | MWST",
        "A | 2.6% | 9.40 | 0.24",
    ]
    receipt = _read(rows)
    assert receipt.tax.value == Decimal("0.24")
    assert receipt.total.value == Decimal("9.40")
