"""Unit: round-4 date and total behaviour on faded-print OCR slips, modelled on training-split receipts
(mostly their faded reading: contrast lowered, as on an old thermal receipt), as OCR lines."""

from __future__ import annotations

from decimal import Decimal

from receiptflow.extract import extract_receipt
from receiptflow.extract.dates import find_dates, find_dates_lenient
from receiptflow.extract.totals import classify
from receiptflow.money import find_spaced_amounts

from tests.support.ocr_layout import ocr_lines


def test_date_glued_to_a_time_whose_colon_was_lost() -> None:
    # GIVEN "14/03/20185 57.07PM" (training key 066, faded) and "16:5819/05/18", the time printed
    # first (key 312, faded)
    after = extract_receipt(ocr_lines(["016-5498845.", "14/03/20185 57.07PM", "TRN: CR0008964"]))
    before = extract_receipt(ocr_lines(["St:8303 Ctr2 ID:3000 TaxInv:14072", "16:5819/05/18"]))
    assert after.date.text == "14/03/2018"
    assert before.date.text == "19/05/18"
    # AND a month-name date glued to a time without seconds reads too
    assert [d.text for d in find_dates("05 MAR 201818 24")] == ["05 MAR 2018"]
    # AND digits glued to a year that are not a time are still not a date
    assert find_dates("12/03/201855 57") == []
    assert find_dates("INV 12/03/20181234") == []


def test_date_whose_separators_were_lost() -> None:
    # GIVEN "Date5 3 2018 22 52 33" (training key 042, faded: both slashes read as spaces, the label
    # glued) and "0502-18" by its time (key 070, downscaled: the first dash lost)
    spaced = extract_receipt(ocr_lines(["Invoice 581355", "Date5 3 2018 22 52 33"]))
    lost = extract_receipt(ocr_lines(["INVDICE NO: 18299/102/T0230", "0502-18 | 568017 | 01:34PM"]))
    assert spaced.date.text == "5/3/2018"
    assert spaced.date.value is not None and spaced.date.value.isoformat() == "2018-03-05"
    assert lost.date.text == "05-02-18"
    # AND three spaced numbers with neither a DATE label nor a time are not a date
    assert find_dates_lenient("QTY 5 3 2018") == []
    # AND a faded DATE row beats another date printed elsewhere, unless that one is the same date
    faded = extract_receipt(ocr_lines(["VALID 30/09/18", "DATE: 1003-2018 23:03:06"]))
    assert faded.date.text == "10-03-2018"
    clean = extract_receipt(ocr_lines([": 2903/2018 20:19:38", "PRINTED ON: 29-03-2018 20:19:59"]))
    assert clean.date.text == "29-03-2018"


def test_letter_for_a_digit_in_other_date_forms() -> None:
    # GIVEN S for 5 in a year-first date and in the day before a month name (as in training key 399,
    # faded: "07-0S-16")
    assert [d.text for d in find_dates("DATE: 2016/0S/01 14:11:20")] == ["2016/05/01"]
    assert [d.text for d in find_dates("0S MAR 2018 18:24")] == ["05 MAR 2018"]
    # AND a letter pair is not a day
    assert find_dates("SB MAR 2018") == []


def test_total_word_slips_on_faded_prints() -> None:
    # GIVEN "SUB-TOIAL (GST)" (training key 505, faded), "SUB-TBTAL" (506), "TAXTOTAL: 0.79" under the
    # total (506), "TOTA]" and "OTAL" with a letter lost (other readings of the training images)
    assert classify("SUB-TOIAL (GST)") == ("subtotal", 0.9)
    assert classify("SUB-TBTAL (GST)") == ("subtotal", 0.9)
    assert classify("TAXTOTAL:") == ("tax", 0.9)
    assert classify("TOTA] RM INCL GST") == ("total", 1.0)
    assert classify("OTAL QUANTITY") == ("ignore", 0.0)
    receipt = extract_receipt(
        ocr_lines(
            [
                "SUB-TBTAL (GST) | 14.00",
                "ROUNDING | 0.00",
                "TOTAL | 14.00",
                "CHANGE | 0.00",
                "GST SUMMARY",
                "13,2160.79",
                "TAXTOTAL: | 0.79",
            ]
        )
    )
    assert receipt.total.value == Decimal("14.00")


def test_total_whose_label_was_lost_is_found_by_the_sum() -> None:
    # GIVEN "NET TOTAL" read as "L UIAL" under subtotal, service charge, GST and rounding (training
    # key 040, faded), with the tax table's "Amount" column below
    receipt = extract_receipt(
        ocr_lines(
            [
                "HH GUINESS 12 GLASSES | 150.00",
                "HH TIGER 12 GLASSES | 145.00",
                "SUB TOTAL | 295.00",
                "SERVICE CHARGE 10% | 29.50",
                "GST 6% | 19.47",
                "ROUNDING ADJ | -0.02",
                "L UIAL | 343.95",
                "Amount",
                "SVL | 295.00",
            ]
        )
    )
    assert receipt.total.value == Decimal("343.95")
    # AND where a labelled total adds up, a rounded amount under it is not taken instead (training 146)
    labelled = extract_receipt(
        ocr_lines(
            [
                "SUBTOTAL | 62.55",
                "10% SRV CHG | 6.25",
                "6% GST | 4.13",
                "TOTAL: | 72.93",
                "RND ADJ | 0.02",
                "TTL ATF RND | 72.95",
            ]
        )
    )
    assert labelled.total.value == Decimal("72.93")


def test_total_whose_decimal_point_was_lost_or_misread() -> None:
    # GIVEN a colon for the point ("CASH 14:08", training key 506, faded) and a point lost on the total
    # row that the subtotal + GST + rounding vouch for
    assert find_spaced_amounts("TOTAL 15:00")
    colon = extract_receipt(ocr_lines(["SUB-TOTAL (GST) | 15.00", "TOTAL | 15:00", "CASH | 20.00"]))
    pointless = extract_receipt(
        ocr_lines(
            [
                "SUB TOTAL (RM) : | 106.10",
                "TOTAL GST (RM) : | 6.37",
                "ROUNDING (RM) : | -0.02",
                "TOTAL (RM) : | 11245",
                "CASH : | 11245",
            ]
        )
    )
    assert colon.total.value == Decimal("15.00")
    assert pointless.total.value == Decimal("112.45")
    # AND a whole number on a total row that nothing vouches for is not an amount
    unvouched = extract_receipt(ocr_lines(["SUB TOTAL | 20.00", "TOTAL QTY | 3", "TOTAL | 1234"]))
    assert unvouched.total.value == Decimal("20.00")


def test_tendered_amount_whose_label_faded() -> None:
    # GIVEN "Net Total" misread as 35.20 under "SubTotal 85.20", and the CASH label lost over the change
    # (training key 610, faded)
    receipt = extract_receipt(
        ocr_lines(
            [
                "PHONG PNEAH 6PCS @9.00 | 18.00 SR",
                "10 SubTota] | 85.20",
                "Net Total | 35.20",
                "100.20",
                "CHANGE | 15.00",
            ]
        )
    )
    # THEN the amount above the change is what was paid, and paid - change settles the total
    assert receipt.amount_paid.value == Decimal("100.20")
    assert receipt.total.value == Decimal("85.20")
