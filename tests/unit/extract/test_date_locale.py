"""Unit: a receipt's dates read in its own locale (day/month order, eras, month names in many
languages) and implausible dates flagged. Receipts written for these tests, OCR lines with boxes."""

from __future__ import annotations

import datetime as dt

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.checks import check_receipt
from receiptflow.extract.cue_table import roles
from receiptflow.extract.dates import find_dates, find_times
from receiptflow.extract.locales import infer_date_locale
from receiptflow.models import DateField, Receipt

from tests.unit.extract.layouts import receipt_lines

TODAY = dt.date(2026, 12, 3)


def _date(rows: list[str]) -> dt.date | None:
    return extract_receipt(receipt_lines(rows)).date.value


def test_us_receipt_reads_month_first() -> None:
    # GIVEN a US restaurant receipt: dollars, a NANP phone number, city, state and ZIP
    rows = [
        "BLUE DOOR DINER",
        "2838 Main Street",
        "Morgantown, PA 19543",
        "(610) 286-5980",
        "11/02/2017 01:41 PM",
        "Burger | $9.19",
        "Sales Tax | $0.64",
        "Total | $9.83",
    ]
    # THEN 11/02/2017 is November 2
    assert _date(rows) == dt.date(2017, 11, 2)
    locale = infer_date_locale(rows)
    assert locale.month_first and locale.certainty > 0.9
    assert {"currency", "phone", "state_zip"} <= set(locale.votes)


def test_us_clues_without_a_currency_symbol() -> None:
    # the phone and the state + ZIP are enough
    rows = ["HARVARD GARDENS", "Boston, MA 02114", "617-523-2727", "Date: 04/07/2018", "Total 70.97"]
    assert _date(rows) == dt.date(2018, 4, 7)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # German supermarket: EUR, postcode before the town, German words
        (
            ["Frischmarkt Huber", "Lindenstr. 4", "80331 München", "11.02.2017 18:04", "SUMME EUR 24,23"],
            dt.date(2017, 2, 11),
        ),
        # French bistro: TVA, Paris postcode
        (
            [
                "LE PETIT ZINC",
                "11 rue Saint-Benoit",
                "75006 PARIS",
                "Le 11/02/2017 a 21:15",
                "TOTAL TTC 48,50 €",
            ],
            dt.date(2017, 2, 11),
        ),
        # Polish shop: PARAGON FISKALNY, PTU, złoty
        (
            [
                "Sklep Kasia",
                "00-950 Warszawa",
                "PARAGON FISKALNY",
                "2017-02-11 | 11-02-2017",
                "SUMA PLN 12,50",
            ],
            dt.date(2017, 2, 11),
        ),
        # British café: pounds
        (["THE CORNER CAFE", "Speke L24 9TT", "05/12/2016 10:04", "TOTAL £4.60"], dt.date(2016, 12, 5)),
    ],
)
def test_european_receipts_read_day_first(rows: list[str], expected: dt.date) -> None:
    assert _date(rows) == expected
    assert not infer_date_locale(rows).month_first


def test_a_date_that_reads_one_way_settles_the_others() -> None:
    # GIVEN dollars, but another date on the receipt that only reads day-first
    rows = ["SURF SHACK", "BONDI", "03/04/2016 12:10", "Total $12.00", "Card expiry check 25/12/2018"]
    locale = infer_date_locale(rows)
    assert not locale.month_first and locale.votes["dates"] < 0
    assert _date(rows) == dt.date(2016, 4, 3)


def test_no_evidence_means_day_first_with_low_certainty() -> None:
    locale = infer_date_locale(["SHOP", "03/04/2016", "TOTAL 12.00"])
    assert not locale.month_first and locale.certainty == 0.5 and locale.votes == {}


def test_philippine_pesos_read_month_first_and_canada_stays_open() -> None:
    assert infer_date_locale(["JOLLIBEE", "TOTAL ₱250.00", "VAT 26.79"]).month_first
    canada = infer_date_locale(["TIM HORTONS", "Toronto ON M5V 2T6", "HST 0.65", "Total $5.65"])
    assert "currency" not in canada.votes and "phone" not in canada.votes


def test_thai_buddhist_era_years() -> None:
    # GIVEN a Thai receipt printing the Buddhist-era year in two digits (68 = 2568 = 2025) or four
    rows = ["ร้านกาแฟดี", "วันที่ 12/05/68 14:20", "รวม 120.00 บาท"]
    assert _date(rows) == dt.date(2025, 5, 12)
    assert infer_date_locale(rows).era == "buddhist"
    assert _date(["ร้านกาแฟดี", "วันที่ 05/03/2568", "รวม 120.00"]) == dt.date(2025, 3, 5)
    assert _date(["ร้านกาแฟดี", "5 มี.ค. 68 14:20", "รวม 120.00"]) == dt.date(2025, 3, 5)
    # AND a Gregorian two-digit year on the same kind of receipt stays as printed
    assert find_dates("12/05/18", era="buddhist", today=TODAY)[0].value == dt.date(2018, 5, 12)
    # AND elsewhere a two-digit year in the future is the last century, not the Buddhist era
    assert find_dates("12/05/68", today=TODAY)[0].value == dt.date(1968, 5, 12)


def test_roc_and_japanese_era_years() -> None:
    assert _date(["統一發票", "店名", "113/05/20 12:01", "合計 120"]) == dt.date(2024, 5, 20)
    assert _date(["ローソン", "令和6年5月20日 12:01", "合計 ¥120"]) == dt.date(2024, 5, 20)
    assert find_dates("R6.5.20", era="japanese", today=TODAY)[0].value == dt.date(2024, 5, 20)
    assert find_dates("2024年5月20日", today=TODAY)[0].value == dt.date(2024, 5, 20)
    # without the era's locale a three-digit year is no date
    assert find_dates("113/05/20", today=TODAY) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5. März 2024", dt.date(2024, 3, 5)),
        ("23 juin 2016", dt.date(2016, 6, 23)),
        ("jeudi23juin2016", dt.date(2016, 6, 23)),
        ("18 AVR 2014", dt.date(2014, 4, 18)),
        ("5 de marzo de 2024", dt.date(2024, 3, 5)),
        ("12 dicembre 2023", dt.date(2023, 12, 12)),
        ("3 mei 2024", dt.date(2024, 5, 3)),
        ("12 MRT 2024", dt.date(2024, 3, 12)),
        ("7 de setembro de 2022", dt.date(2022, 9, 7)),
        ("17 grudnia 2023", dt.date(2023, 12, 17)),
        ("5. března 2024", dt.date(2024, 3, 5)),
        ("12 Ekim 2024", dt.date(2024, 10, 12)),
        ("3 Ağustos 2024", dt.date(2024, 8, 3)),
        ("14 augusti 2024", dt.date(2024, 8, 14)),
        ("1 desember 2024", dt.date(2024, 12, 1)),
        ("9 Ogos 2018", dt.date(2018, 8, 9)),
        ("9 Agustus 2018", dt.date(2018, 8, 9)),
        ("5 марта 2024 г.", dt.date(2024, 3, 5)),
        ("3 жовтня 2024", dt.date(2024, 10, 3)),
        ("14 септември 2024", dt.date(2024, 9, 14)),
        ("5 มีนาคม 2568", dt.date(2025, 3, 5)),
        ("DEC23'14", dt.date(2014, 12, 23)),
        ("Jul/15/2017", dt.date(2017, 7, 15)),
        ("Friday, May 26, 2017", dt.date(2017, 5, 26)),
        ("28-Jun-15", dt.date(2015, 6, 28)),
    ],
)
def test_month_names_in_many_languages(text: str, expected: dt.date) -> None:
    found = find_dates(text, today=TODAY)
    assert [d.value for d in found] == [expected]


def test_words_that_are_not_dates() -> None:
    # an item and its price, a word that only looks like a month, a code after a month-first date
    assert find_dates("1 MARS 25", today=TODAY) == []
    assert find_dates("2 MAYO 10", today=TODAY) == []
    assert find_dates("12 ITEMS 2018", today=TODAY) == []
    assert [d.value for d in find_dates("KS#3 Oct.10'15(Sat)", today=TODAY)] == [dt.date(2015, 10, 10)]


def test_future_and_old_dates_fail_their_checks_and_lower_confidence() -> None:
    future = check_receipt(Receipt(date=DateField(value=dt.date(2068, 5, 12), confidence=0.95)), today=TODAY)
    checks = {c.name: c.passed for c in future.checks}
    assert checks["date_not_future"] is False
    assert future.date.confidence <= 0.3
    old = check_receipt(Receipt(date=DateField(value=dt.date(2015, 1, 2), confidence=0.95)), today=TODAY)
    assert {c.name: c.passed for c in old.checks}["date_not_too_old"] is False
    assert old.date.confidence <= 0.6
    recent = check_receipt(Receipt(date=DateField(value=dt.date(2025, 1, 2), confidence=0.95)), today=TODAY)
    assert all(c.passed for c in recent.checks) and recent.date.confidence == 0.95


def test_a_future_date_loses_to_the_receipt_date() -> None:
    # a validity date in the future printed on the row with a time does not beat the sale date
    rows = ["KEDAI MAJU", "Voucher 31/12/2099 23:59", "25/03/2018", "TOTAL RM 3.00"]
    assert _date(rows) == dt.date(2018, 3, 25)


def test_ocr_slips_in_photographed_dates() -> None:
    # a 1 read for the l of Jul (glued to the day), the apostrophe read as a colon, a date glued to its
    # six-digit time
    assert [d.value for d in find_dates("Ju119'14 12:36PM", today=TODAY)] == [dt.date(2014, 7, 19)]
    assert [d.value for d in find_dates("Ju1/15/2017 12:25", today=TODAY)] == [dt.date(2017, 7, 15)]
    colon = find_dates("JAN09:03 9:03PM", today=TODAY)
    assert [d.value for d in colon] == [dt.date(2003, 1, 9)] and colon[0].certainty < 0.85
    assert [d.value for d in find_dates("2017-02-12144838GST:1", today=TODAY)] == [dt.date(2017, 2, 12)]
    # one letter of an English month misread, in a full date only
    assert [d.value for d in find_dates("20Nar'17 21:05", today=TODAY)] == [dt.date(2017, 3, 20)]
    assert [d.value for d in find_dates("Friday, Hay 26, 2017", today=TODAY)] == [dt.date(2017, 5, 26)]
    assert find_dates("2 HAT 2019", today=TODAY) == [] and find_dates("Nar 17", today=TODAY) == []


def test_date_labels_and_validity_dates_in_other_languages() -> None:
    # the labelled sale date wins over a best-before / validity date printed with a time
    german = [
        "Bäckerei Sonne",
        "Gutschein gültig bis 31.01.2025 23:59",
        "Datum: 03.02.2024",
        "SUMME EUR 4,20",
    ]
    assert _date(german) == dt.date(2024, 2, 3)
    spanish = ["Panadería Sol", "Válido hasta 30/06/2025 20:00", "Fecha: 03/02/2024", "TOTAL 4,20 €"]
    assert _date(spanish) == dt.date(2024, 2, 3)
    polish = ["Sklep Kasia", "Ważne do 30.06.2025 20:00", "Data: 03.02.2024", "SUMA PLN 4,20"]
    assert _date(polish) == dt.date(2024, 2, 3)


def test_times_as_french_and_german_receipts_print_them() -> None:
    assert [t.value for t in find_times("Le 11/02/2017 a 21h15")] == [dt.time(21, 15)]
    assert [t.value for t in find_times("03.02.2024 14.30 Uhr")] == [dt.time(14, 30)]
    assert find_times("TOTAL 12.50") == [] and find_times("REF CH1H50") == []


def test_the_language_of_the_cue_words_votes_too() -> None:
    # only the words say where this receipt is from: German amount cues outnumber English ones
    rows = ["Backstube", "11.02.2017", "ZU ZAHLEN 24,23", "GEGEBEN 40,00", "ZURÜCK 15,77"]
    locale = infer_date_locale(rows)
    assert not locale.month_first and locale.votes.get("words", 0) < 0
    assert _date(rows) == dt.date(2017, 2, 11)
    # and the cue table marks the date labels and validity words of those languages
    assert "date" in roles("Fecha: 07/02/2016") and "date" in roles("TARİH 12.10.2024")
    assert "expiry" in roles("Ważne do 30.06.2025") and "expiry" in roles("MHD 12.05.27")
