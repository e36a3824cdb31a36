"""Unit: the total of receipts from many countries, one test per class of failure (issue 11).

Small receipts written for these tests (text rows with boxes, no OCR model): German, Polish, Czech,
Turkish, French, Spanish, Thai, US, and a language the cue table does not know.
"""

from __future__ import annotations

from decimal import Decimal

from receiptflow.extract import extract_receipt
from receiptflow.extract.extractor import read_totals

from tests.unit.extract.layouts import receipt_lines


def test_german_total_is_confirmed_by_cash_less_change_not_taken_from_the_vat_table() -> None:
    # GIVEN the receipt: ZU ZAHLEN, BARGELD, ZURÜCK and a VAT table with two rates below, whose
    # gross figures (10,70 and 13,53) are parts of the total
    receipt = extract_receipt(
        receipt_lines(
            [
                ("EDEKA Markt Schmidt", 40),
                "Hauptstr. 12 | 80331 München",
                "Milch 1,5% | 1,19 A",
                "Brot | 2,49 A",
                "Rotwein | 11,29 B",
                "Kaffee | 7,02 A",
                ("ZU ZAHLEN EURO | 24,23", 34),
                "BARGELD | 40,00",
                "ZURÜCK | 15,77",
                "MwSt% | Netto | MwSt | Brutto",
                "A 7% | 10,00 | 0,70 | 10,70",
                "B 19% | 11,37 | 2,16 | 13,53",
                "Summe | 21,37 | 2,86 | 24,23",
                "12.03.2024 14:31 | Bon 4711",
            ]
        )
    )
    assert receipt.total.value == Decimal("24.23")
    assert receipt.currency.value == "EUR"


def test_polish_thousands_space_and_currency_code() -> None:
    receipt = extract_receipt(
        receipt_lines(
            [
                ("MEDIA EXPERT", 40),
                "ul. Polna 12, 00-625 Warszawa",
                "PARAGON FISKALNY",
                "Odkurzacz XK-200 1 x1 129,00 | 1 129,00A",
                "SPRZEDAŻ OPODATKOWANA A | 1 129,00",
                "PTU A 23% | 211,11",
                "SUMA PTU | 211,11",
                ("SUMA PLN | 1 129,00", 34),
                "Gotówka | 1 200,00",
                "Reszta | 71,00",
            ]
        )
    )
    assert receipt.total.value == Decimal("1129.00")
    assert receipt.currency.value == "PLN"


def test_czech_amounts_glued_to_the_koruna() -> None:
    receipt = extract_receipt(
        receipt_lines(
            [
                ("Potraviny U Nádraží", 40),
                "Rohlík 10 ks | 39,00Kč",
                "Pivo | 90,00Kč",
                "Celkem k úhradě | 129,00Kč",
                "Hotovost | 200,00Kč",
                "Vráceno | 71,00Kč",
                "DPH 12% | 13,82",
            ]
        )
    )
    assert receipt.total.value == Decimal("129.00")
    assert receipt.currency.value == "CZK"


def test_turkish_lira_sign_thousands_dot_and_dotted_capitals() -> None:
    receipt = extract_receipt(
        receipt_lines(
            [
                ("MİGROS", 40),
                "Deterjan | *1.029,00",
                "Ekmek | *100,00",
                "TOPKDV | *172,22",
                ("TOPLAM | ₺1.129,00", 34),
                "NAKİT | ₺1.200,00",
                "PARA ÜSTÜ | ₺71,00",
            ]
        )
    )
    assert receipt.total.value == Decimal("1129.00")
    assert receipt.currency.value == "TRY"


def test_french_tva_table_total_row_gives_the_gross_not_the_net() -> None:
    # GIVEN "TOTAL 44,50" and, in the TVA table below, "TOTAL 38,87 5,63 44,50" (HT, TVA, TTC)
    receipt = extract_receipt(
        receipt_lines(
            [
                ("EL GRECO", 40),
                "Rue Chair et Pain 5, 1000 Bruxelles",
                "4 Coca cola light | 3,25 | 13,00",
                "1 Filet de poulet | 14,50",
                "1 Brochette d'agneau | 17,00",
                ("TOTAL | 44,50", 34),
                "HTVA | TAXE | TVAC",
                "TVA 21,00% BOISSONS | 10,74 | 2,26 | 13,00",
                "TVA 12,00% CUISINE | 28,13 | 3,37 | 31,50",
                "TOTAL | 38,87 | 5,63 | 44,50",
                "Merci de votre visite",
            ]
        )
    )
    assert receipt.total.value == Decimal("44.50")


def test_spanish_iva_included_and_efectivo_cambio() -> None:
    receipt = extract_receipt(
        receipt_lines(
            [
                ("BAR LA PARADA", 40),
                "2 CAÑA | 2,40 | 4,80",
                "1 TORTILLA | 3,50",
                "BASE IMPONIBLE | 7,55",
                "IVA 10% | 0,75",
                ("TOTAL (IVA INCL.) | 8,30", 34),
                "EFECTIVO | 10,00",
                "CAMBIO | 1,70",
            ]
        )
    )
    assert receipt.total.value == Decimal("8.30")


def test_thai_digits_and_baht() -> None:
    receipt = extract_receipt(
        receipt_lines(
            [
                ("ร้านกาแฟ", 40),
                "กาแฟเย็น | ๖๐.๐๐",
                "ขนมปัง | ๖๕.๐๐",
                "ภาษีมูลค่าเพิ่ม 7% | ๘.๑๘",
                ("รวมทั้งสิ้น | ฿๑๒๕.๐๐", 34),
                "เงินสด | ๒๐๐.๐๐",
                "เงินทอน | ๗๕.๐๐",
            ]
        )
    )
    assert receipt.total.value == Decimal("125.00")
    assert receipt.currency.value == "THB"


def test_us_total_printed_without_a_label_is_found_by_arithmetic() -> None:
    # GIVEN a restaurant bill whose tax and total lines lost their labels (faded print)
    totals = read_totals(
        receipt_lines(
            [
                ("BAR LOUIE", 40),
                "Server: Katie | 09/18/2014",
                "DOLLAR BURGER | 1.00",
                "BN JALAPENOS | 0.50",
                "BN PEPPER JACK CHEESE | 0.75",
                "Coors Light Draft | 2.00",
                "Subtotal | 4.25",
                "0.35",
                ("4.60", 30),
            ]
        )
    )
    assert totals.total is not None and totals.total.amount.value == Decimal("4.60")


def test_a_receipt_in_a_language_the_cue_table_does_not_know() -> None:
    # GIVEN made-up words on every row: only arithmetic, position, size and repetition are left
    totals = read_totals(
        receipt_lines(
            [
                ("QXZ VORTAK", 40),
                "Plimbo zarak | 3.20",
                "Kwerto | 5.60",
                "Zulbaran | 1.20",
                "Vexta | 10.00",
                "Vexta jolm 8% | 0.80",
                ("VEXTALON | 10.80", 36),
                "Traxo | 20.00",
                "Pomba | 9.20",
                "10.80",
            ]
        )
    )
    assert totals.total is not None and totals.total.amount.value == Decimal("10.80")


def test_decimal_separator_is_inferred_from_the_whole_receipt() -> None:
    # GIVEN a German receipt with no currency printed: its amounts use decimal commas
    german = extract_receipt(
        receipt_lines(
            ["Brezel | 1,80", "Kaffee | 2,40", "Butter | 1.129,00", "SUMME | 1.133,20", "BAR | 1.140,00"]
        )
    )
    # AND a US receipt with thousands commas
    us = extract_receipt(
        receipt_lines(["TV | 1,129.00", "Cable | 4.20", "TOTAL | 1,133.20", "CASH | 1,140.00"])
    )
    assert german.total.value == Decimal("1133.20")
    assert us.total.value == Decimal("1133.20")
