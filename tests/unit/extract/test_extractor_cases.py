"""Unit: tricky receipts modelled on the training split, as OCR lines (no image, no OCR)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from receiptflow.extract import extract_receipt
from receiptflow.models.ocr_lines import OcrLine

from tests.support.ocr_layout import ocr_lines


def test_glued_date_and_time_are_split() -> None:
    # GIVEN OCR that glued "25/12/2018 8:13:39 PM" into one token (training key 000)
    receipt = extract_receipt(
        ocr_lines(
            [
                "BOOK TA .K(TAMAN DAYA) SDN BHD",
                "789417-W",
                "NO.53 55,57 & 59, JALAN SAGU 18,",
                "TAMAN DAYA,",
                "81100 JOHOR BAHRU,",
                "JOHOR.",
                "DOCUMENT NO : TD01167104",
                "DATE: | 25/12/20188:13:39 PM",
                "TOTAL: | 9.00",
                "ROUNDING ADJUSTMENT: | 0.00",
                "ROUND D TOTAL (RM): | 9.00",
                "CASH | 10.00",
                "CHANGE | 1.00",
            ]
        )
    )
    # THEN the date keeps the printed substring and the time is read from the rest
    assert receipt.date.text == "25/12/2018"
    assert receipt.date.value == dt.date(2018, 12, 25)
    assert receipt.time.value == dt.time(20, 13, 39)
    assert receipt.vendor_name.text == "BOOK TA .K (TAMAN DAYA) SDN BHD"
    assert (
        receipt.vendor_address.text
        == "NO.53 55,57 & 59, JALAN SAGU 18, TAMAN DAYA, 81100 JOHOR BAHRU, JOHOR."
    )
    assert receipt.total.value == Decimal("9.00")
    assert receipt.amount_paid.value == Decimal("10.00")


def test_rounded_total_wins_over_the_unrounded_one() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "MR D.I.Y. (JOHOR) SDN BHD",
                "(CO. REG :860671-D)",
                "LOT 1851-A & 1851-B, JALAN KPB 6,",
                "TAX INVOICE",
                "8970669 | 1 X 19.00 19.00",
                "TOTAL | RM 33.92",
                "ROUNDING ADJUSTMENT | -0.02",
                "TOTAL ROUNDED | RM 33.90",
                "CASH | RM 50.00",
                "CHANGE | RM 16.10",
                "12-01-19 21:13 SH01 ZK09",
            ]
        )
    )
    assert receipt.total.value == Decimal("33.90")
    assert receipt.total.currency == "MYR"
    assert receipt.amount_paid.value == Decimal("50.00")
    assert receipt.date.text == "12-01-19"
    assert receipt.vendor_name.text == "MR D.I.Y. (JOHOR) SDN BHD"


def test_many_total_lines_and_a_gst_summary_table() -> None:
    # training key 071: three "total" lines, then a GST summary whose "Total" row holds other amounts
    receipt = extract_receipt(
        ocr_lines(
            [
                "AEON CO. (M) BHD (126926-H)",
                "3RD FLR, AEON TAMAN MALURI SC",
                "JLN JEJAKA, TAMAN MALURI",
                "CHERAS, 55100 KUALA LUMPUR",
                "GST ID: 002017394688",
                "1x 000004089728 | 5.90SR",
                "1x 000007572029 | 5.90SR",
                "1x 000006731878 | 5.90SR",
                "Sub-total | 17.70",
                "Total Sales Incl GST | 17.70",
                "Total After Adj Incl GST | 17.70",
                "CASH | 50.70",
                "Item Count 3 | Change Amt | 33.00",
                "GST Summary | Amount | Tax",
                "SR @ 6% | 16.71 | 0.99",
                "Total | 16.71 | 0.99",
                "19/02/2018 16:45 | 5132 002 0026157",
            ]
        )
    )
    assert receipt.total.value == Decimal("17.70")
    assert receipt.total.confidence >= 0.9  # paid - change agrees
    assert receipt.vendor_name.text == "AEON CO. (M) BHD"
    assert (
        receipt.vendor_address.text
        == "3RD FLR, AEON TAMAN MALURI SC JLN JEJAKA, TAMAN MALURI CHERAS, 55100 KUALA LUMPUR"
    )
    assert receipt.date.text == "19/02/2018"


def test_total_payable_beats_partial_totals() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "GARDENIA BAKERIES (KL) SDN BHD (139386 X)",
                "Lot 3, Jalan Pelabur 23/1,",
                "40300 Shah Alam, Selangor.",
                "Tel:03-55423228 Fax:03-55423213",
                "Total 6% supplies (excl. GST): | 25.56",
                "GST: | 1.53",
                "Total 6% supplies (Inc. GST): | 27.09",
                "Total 0% supplies: | 14.35",
                "Total Payable: | 41.44",
            ]
        )
    )
    assert receipt.total.value == Decimal("41.44")
    assert receipt.vendor_name.text == "GARDENIA BAKERIES (KL) SDN BHD"
    assert receipt.vendor_address.text == "Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam, Selangor."


def test_gst_included_line_is_tax_not_total() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "MR. D.I.Y. (M) SDN BHD",
                "Total Incl. GST@6% | RM 9.00",
                "CASH | RM 10.00",
                "CHANGE | RM 1.00",
                "GST @6% included in total | RM 0.51",
            ]
        )
    )
    assert receipt.total.value == Decimal("9.00")
    assert receipt.tax.value == Decimal("0.51")


def test_tax_flags_and_two_row_names() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "POPULAR BOOK",
                "CO. (M) SDN BHD",
                "(Co. No. 113825-W)",
                "No 8, Jalan 7/118B, Desa Tun Razak",
                "56000 Kuala Lumpur, Malaysia",
                "SUNWAY VELOCITY",
                "Tel : 03-9201 6281/6920",
                "29/03/18 13:24 | Slip No.: 0010111111",
                "Description | Amount",
                "PB SHT/P 11H A4 10'S",
                "2pc @ 3.50 | 7.00 T",
                "R RING 500'S | 2.65 T",
                "Total RM Incl. of GST | 9.65",
                "Cash | 50.00",
                "CHANGE | 40.35",
            ]
        )
    )
    assert receipt.vendor_name.text == "POPULAR BOOK CO. (M) SDN BHD"
    # the branch name under the address is not part of it
    assert receipt.vendor_address.text == "No 8, Jalan 7/118B, Desa Tun Razak 56000 Kuala Lumpur, Malaysia"
    assert receipt.total.value == Decimal("9.65")
    assert receipt.date.text == "29/03/18"
    assert receipt.vendor_phone.value == "03-9201 6281/6920"[: len(receipt.vendor_phone.value or "")]
    assert [i.amount for i in receipt.line_items] == [Decimal("7.00"), Decimal("2.65")]


def test_missing_currency_inferred_from_locale_or_left_empty() -> None:
    malaysian = extract_receipt(ocr_lines(["KEDAI RUNCIT SDN BHD", "JALAN BESAR", "TOTAL | 9.00"]))
    assert malaysian.currency.value == "MYR"
    assert malaysian.currency.confidence <= 0.5
    assert malaysian.total.currency == "MYR"
    unknown = extract_receipt(ocr_lines(["CORNER SHOP", "TOTAL | 9.00"]))
    assert unknown.currency.value is None
    assert unknown.total.value == Decimal("9.00")
    assert unknown.total.currency is None


def test_us_receipt_month_first_with_tax_and_items() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "MEGA BIGBOX",
                "800-532-2918",
                "MEGA MARKET PLUS",
                "CHICAGO, IL",
                "LG FLATSCREEN 65 | $899.99 S",
                "SONY VIAO I7 6938 | $689.99 S",
                "SUBTOTAL | $1589.98",
                "TAX | $110.50",
                "TOTAL | $1700.48",
                "TEND | $1700.48",
                "12/07/2019 12:22 PM",
            ]
        )
    )
    assert receipt.vendor_name.text == "MEGA MARKET PLUS"
    assert receipt.date.value == dt.date(2019, 12, 7)
    assert receipt.currency.value == "USD"
    assert (receipt.subtotal.value, receipt.tax.value, receipt.total.value) == (
        Decimal("1589.98"),
        Decimal("110.50"),
        Decimal("1700.48"),
    )
    assert receipt.vendor_address.text == "CHICAGO, IL"
    assert len(receipt.line_items) == 2


def test_european_decimal_commas() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "BAECKEREI MUELLER GMBH",
                "HAUPTSTRASSE 5, 10115 BERLIN",
                "DATUM 14.06.2024 08:15",
                "2 x Brezel | 1,80 EUR",
                "Kaffee | 2,40 EUR",
                "SUMME | 4,20 EUR",
            ]
        )
    )
    assert receipt.total.value == Decimal("4.20")
    assert receipt.total.currency == "EUR"
    assert receipt.date.value == dt.date(2024, 6, 14)
    assert [i.amount for i in receipt.line_items] == [Decimal("1.80"), Decimal("2.40")]


def test_no_lines_gives_an_empty_receipt() -> None:
    receipt = extract_receipt([])
    assert receipt.total.value is None
    assert receipt.raw_text == ""


def test_ocr_slips_in_vendor_and_address_are_repaired() -> None:
    receipt = extract_receipt(
        ocr_lines(
            [
                "PINGHWAITRADING SDN BHD (525133-W)",
                "Loi 3, Jalau Pelabur 23/1. 40300Shah Alam, Selaugor.",
                "TEL:03-55423228",
                "TOTAL | 9.00",
            ]
        )
    )
    assert receipt.vendor_name.text == "PINGHWAI TRADING SDN BHD"
    assert receipt.vendor_address.text == "LOT 3, Jalan Pelabur 23/1, 40300 Shah Alam, Selangor."


def test_skewed_photo_rows_are_levelled() -> None:
    # a photo rotated ~3 degrees: the amount column sits one row higher than its labels
    labels = ["SUBTOTAL", "TAX 6%", "TOTAL"]
    amounts = ["$43.80", "$2.63", "$46.43"]
    lines = []
    for i, (label, amount) in enumerate(zip(labels, amounts, strict=True)):
        y = 100.0 + 40 * i
        lines.append(OcrLine(label, (100.0, y, 220.0, y + 30), 0.99, angle=-3.0))
        lines.append(OcrLine(amount, (600.0, y - 26, 680.0, y + 4), 0.99, angle=-3.0))
    receipt = extract_receipt(lines)
    assert (receipt.subtotal.value, receipt.tax.value, receipt.total.value) == (
        Decimal("43.80"),
        Decimal("2.63"),
        Decimal("46.43"),
    )
