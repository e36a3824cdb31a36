"""Unit: round-3 total and date behaviour on cases modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from receiptflow.extract import extract_receipt
from receiptflow.extract.confidence import FEATURES
from receiptflow.extract.dates import find_dates
from receiptflow.extract.extractor import read_receipt
from receiptflow.extract.totals import classify

from tests.support.ocr_layout import ocr_lines


def test_total_label_with_ocr_slips() -> None:
    # GIVEN "Total Sales (Incl. GST)" read as "tolal 3ales" (training key 185, downscaled) and
    # "(Inclusive of GST)" read as "(ctusive of GST)" (key 219)
    tolal = extract_receipt(ocr_lines(["QUANTITY : 10 Units", "tolal 3ales (Incl. GST 6%) | RM367.10"]))
    ctusive = extract_receipt(
        ocr_lines(
            [
                "Total Sales (Excluding GST) | 94.34",
                "Total GST | 5.66",
                "Rounding | 0.00",
                "Total Sales (ctusive of GST) | 100.00",
            ]
        )
    )
    assert tolal.total.value == Decimal("367.10")
    assert ctusive.total.value == Decimal("100.00")


def test_amount_inclusive_of_gst_is_the_total_without_the_word_total() -> None:
    # GIVEN "AMT PAID INCL. GST" over the excl. amount and the GST (training key 397)
    receipt = extract_receipt(
        ocr_lines(
            [
                "AMT PAID INCL. GST : | RM78.30",
                "AMT PAID EXCL. GST : | RM 73.87",
                "GST AMT : | RM4.43",
                "PAID BY : CC'7186: | RM78.30",
            ]
        )
    )
    assert receipt.total.value == Decimal("78.30")


def test_tendered_amount_is_paid_even_on_a_total_row() -> None:
    # GIVEN "ACCEPTED TOTAL 2.00" under "TOTAL AMOUNT 1.50" (training key 585)
    receipt = extract_receipt(
        ocr_lines(["TOTAL AMOUNT | 1.50 RM", "ACCEPTED TOTAL | 2.00 RM", "CHANGE | 0.50 RM"])
    )
    assert receipt.total.value == Decimal("1.50")
    assert receipt.amount_paid.value == Decimal("2.00")
    assert classify("TOTAL TENDERED") == ("paid", 0.8)


def test_amount_to_be_paid_is_the_total() -> None:
    # GIVEN "AMOUNT TO BE PAID" after a rounding adjustment (training key 232)
    receipt = extract_receipt(
        ocr_lines(
            [
                "TOTAL : | 25.44",
                "TOTAL SALES INCLUSIVE GST @6.00%: | 25.44",
                "ROUNDING ADJUSTMENT: | 0.01",
                "AMOUNT TO BE PAID : | 25.45",
                "CASH RECEIVED : | 25.50",
                "CHANGE : | 0.05",
            ]
        )
    )
    assert receipt.total.value == Decimal("25.45")


def test_ocr_letter_for_a_digit_and_comma_for_the_point() -> None:
    # GIVEN "TOTAL 4.U0" (training key 505, downscaled) and "Rounding 20,00" on a receipt that writes
    # decimal points (key 314, downscaled)
    letter = extract_receipt(ocr_lines(["SUB-TOTAL (GST) | 4.00", "ROUNDING | 0.00", "TOTAL | 4.U0"]))
    comma = extract_receipt(
        ocr_lines(
            ["TOTAL | 19.99", "Rounding Adj | 0.01", "Rounding | 20,00", "CASH | 20.00", "CHANGE | 0.00"]
        )
    )
    assert letter.total.value == Decimal("4.00")
    assert comma.total.value == Decimal("20.00")
    # AND the letter is read as a digit also when the amount is glued to its currency ("RM7.7O")
    glued = extract_receipt(ocr_lines(["TOTAI AMOUNT: | RM7.72", "NETT TOTAL: | RM7.7O"]))
    assert glued.total.value == Decimal("7.70")
    assert classify("TOTAL lNCL. GST@6%") == ("total", 1.0)


def test_total_agreeing_with_nothing_yields_to_the_subtotal_paid_less_change_vouches_for() -> None:
    # GIVEN "Net Total 85.20" read as 35.20 (training key 610, downscaled) and a weak "TAXABLE AMOUNT"
    # under the subtotal (key 167)
    misread = extract_receipt(
        ocr_lines(["10 SubTotal | 85.20", "Net Total | 35.20", "Cash | 100.20", "CHANGE | 15.00"])
    )
    taxable = extract_receipt(
        ocr_lines(
            [
                "SUBTOTAL | RM53.60",
                "CASH | RM100.00",
                "CHANGE | RM46.40",
                "TAXABLE AMOUNT | RM50.57",
                "6% GST | RM3.03",
            ]
        )
    )
    assert misread.total.value == Decimal("85.20")
    assert taxable.total.value == Decimal("53.60")


def test_amount_alone_under_its_label_keeps_the_label_strength() -> None:
    # GIVEN a Gardenia-style summary (training key 329) with "TOTAL PAYABLE:" and its amount on the row
    # under it, below partial totals that add up on their own
    receipt = extract_receipt(
        ocr_lines(
            [
                "TOTAL 0% SUPPLIES: | 39.40",
                "TOTAL 6% SUPPLIES (EXCL. GST): | 12.96",
                "GST: | 0.78",
                "TOTAL 6% SUPPLIES (INC. GST): | 13.74",
                "TOTAL 0% SUPPLIES: | 39.40",
                "TOTAL PAYABLE:",
                "53.14",
                "E.&.O.E.",
            ]
        )
    )
    assert receipt.total.value == Decimal("53.14")


def test_unsure_total_row_yields_to_the_arithmetic() -> None:
    # GIVEN "TOTAL 28.90" read as "TOTAL 2-20" at OCR confidence 0.53 (training key 324, rotated)
    rows = ["SUB-TOTAL | 27.27", "DISC | 0.00", "GST | 1.64", "ROUNDING | -0.01", "TOTAL | 2-20", "CASH"]
    lines = ocr_lines(rows)
    unsure = [replace(line, confidence=0.53) if line.text == "2-20" else line for line in lines]
    # THEN subtotal + GST + rounding is the total; read with confidence, the printed value stands
    assert extract_receipt(unsure).total.value == Decimal("28.90")
    assert extract_receipt(lines).total.value == Decimal("2.20")


def test_cents_printed_alone_are_not_the_total() -> None:
    # GIVEN "TOTAL RM 15 15" and an item-count row OCR split into "Total .15" (training key 464)
    receipt = extract_receipt(
        ocr_lines(
            ["SUBTOTAL | RM 12.99", "TOTAL | RM 15 15", "Total item :1 | Total .15", "Change RM | 85.00"]
        )
    )
    assert receipt.total.value == Decimal("15.15")


def test_service_charge_counts_in_the_arithmetic() -> None:
    # GIVEN a subtotal, a 10% service charge and GST that add up to the total (training key 040)
    _, evidence = read_receipt(
        ocr_lines(["SUB TOTAL | 290.00", "SERVICE CHARGE 10% | 29.00", "GST 6% | 19.14", "TOTAL | 338.14"])
    )
    assert evidence["total"]["sum_agrees"] == 1.0
    assert evidence["total"]["conflicts"] == 0.0
    assert classify("SVC CHG") == ("charge", 0.9)


def test_total_evidence_flags_conflicts_and_smaller_amounts() -> None:
    # GIVEN a grand total under its coupon (training key 296): both cross-checks agree with it, but it is
    # smaller than the subtotal printed above it
    receipt, evidence = read_receipt(
        ocr_lines(
            [
                "Sub-Total | 25.60",
                "Coupon Discount | 21.70",
                "Grand Total | 3.90",
                "Payment | 5.00",
                "Change Due | 1.10",
            ]
        )
    )
    assert receipt.total.value == Decimal("3.90")
    assert evidence["total"]["largest"] == 0.0
    assert evidence["total"]["conflicts"] == 0.0
    assert set(evidence["total"]) >= set(FEATURES["total"])
    # AND a total no cross-check agrees with has two conflicts and is the largest amount
    _, lone = read_receipt(
        ocr_lines(["SUB-TOTAL | 27.27", "GST | 1.64", "TOTAL | 32.20", "CASH | 50.00", "CHANGE | 20.00"])
    )
    assert lone["total"]["conflicts"] == 2.0
    assert lone["total"]["largest"] == 1.0


def test_date_slips_and_formats() -> None:
    # GIVEN "1S/11/2017" (training key 508, downscaled), "05-05 2018" (key 548, downscaled), a DDMMYYYY
    # date by its time (key 152) and a month-name date above the numeric one (key 229)
    letter = extract_receipt(ocr_lines(["RECEIPT #: CSP0415638 DATE: 1S/11/2017"]))
    second = extract_receipt(ocr_lines(["Date 05-05 2018 11:25:29"]))
    compact = extract_receipt(ocr_lines(["00440010036 25032018 13:11:54 0003 IKA"]))
    numeric = extract_receipt(ocr_lines(["09:13 AM, 21 MARCH, 2018", "THANK YOU", "21/03/2018 09:13:31"]))
    assert letter.date.text == "15/11/2017"
    assert second.date.text == "05-05-2018"
    assert compact.date.value is not None and compact.date.value.isoformat() == "2018-03-25"
    assert numeric.date.text == "21/03/2018"
    # AND a time after a date-like pair is not read as its year
    assert find_dates("05-05 18:30") == []
    # AND a two-digit year glued to its time is not a year 1812; a slipped digit in a year after a month
    glued = find_dates(": 23/06/1812:46:33 PM")
    assert [d.text for d in glued] == ["23/06/18"]
    assert [d.text for d in find_dates("04 JUN 20l8 18:28")] == ["04 JUN 2018"]
