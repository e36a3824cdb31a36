"""Unit: round-2 extractor behaviour on cases modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

from decimal import Decimal

from receiptflow.extract import extract_receipt

from tests.support.ocr_layout import ocr_lines


def test_without_a_total_line_paid_less_change_is_the_total() -> None:
    # GIVEN a receipt whose TOTAL label OCR lost, with SUBTOTAL, GST, CASH and CHANGE (training key 159)
    receipt = extract_receipt(
        ocr_lines(
            [
                "KAIN BEBOLA (S) SHA BU SR",
                "0412638 | 2 | 14.90 | 29.80",
                "TOTAL QTY | 2",
                "TOTAL EXCL,GST | 28.11",
                "ADD : GST @ 6% ON | 1.69",
                "29.80",
                "CASH | 50.00",
                "CHANGE | 20.20",
            ]
        )
    )
    # THEN the total is what was paid less the change, not the subtotal (round 4: the unlabelled 29.80
    # that subtotal + GST and paid - change both give is now read as the total, no longer an implied
    # low-confidence one)
    assert receipt.total.value == Decimal("29.80")


def test_without_total_or_change_subtotal_plus_tax_is_the_total() -> None:
    receipt = extract_receipt(
        ocr_lines(["SUB TOTAL : | RM 68.87", "GST/TAX 6% : | RM 4.13", "TO : | RM 73.00"])
    )
    assert receipt.total.value == Decimal("73.00")


def test_tax_included_in_the_total_is_not_added_again() -> None:
    # GIVEN a subtotal and an "INC 6% GST" line (training key 164): the tax is already inside
    receipt = extract_receipt(ocr_lines(["SUBTOTAL | 28.70", "CHANGE | 71.30", "INC 6% GST | 1.62"]))
    assert receipt.total.value == Decimal("28.70")


def test_total_includes_gst_line_is_tax_not_total() -> None:
    # GIVEN "TOTAL INCLUDES 6% GST 3.98" under the real total (training key 466)
    receipt = extract_receipt(
        ocr_lines(
            [
                "1 AYAMGRGSPICY(TA) | 9.90",
                "TAKEOUT TOTAL (INCL GST) | 70.30",
                "CASH TENDERED | 70.30",
                "CHANGE | 0.00",
                "TOTAL INCLUDES 6% GST | 3.98",
            ]
        )
    )
    assert receipt.total.value == Decimal("70.30")
    assert receipt.tax.value == Decimal("3.98")


def test_registration_number_row_is_not_the_address() -> None:
    # GIVEN a misread "CO REG NO" row between the name and the address (training key 317)
    receipt = extract_receipt(
        ocr_lines(
            [
                "WESTERN EASTERN STATIONERY SDN. BHD",
                "CO KEG NO : 210038-K",
                "42-46, JLN SULTAN AZLAN",
                "SHAH 51200 KUALA LUMPUR",
                "TEL : 03-4043 7678",
                "TAX INVOICE",
            ]
        )
    )
    assert receipt.vendor_address.text == "42-46, JLN SULTAN AZLAN SHAH 51200 KUALA LUMPUR"


def test_address_below_a_long_header_is_read_whole() -> None:
    # GIVEN a name printed on the eighth row, under footer text of the previous receipt (training key 314)
    rows = ["THANK YOU", "PLEASE VISIT US AGAIN", "GOODS SOLD ARE NOT REFUNDABLE", "RETURNABLE"]
    rows += ["", "", "CHECKERS HYPERMARKET SDN BHD", "(JALAN KLANG LAMA)"]
    rows += ["LOT 2942 & 2945, JLN SERI SENTOSA 8,", "SERI SENTOSA, OFF JLN KLANG LAMA,"]
    rows += ["58000 KUALA LUMPUR.", "COMPANY NO: 564429-W", "GST NO: 002013487104"]
    receipt = extract_receipt(ocr_lines(rows))
    assert receipt.vendor_name.text == "CHECKERS HYPERMARKET SDN BHD"
    assert receipt.vendor_address.text == (
        "LOT 2942 & 2945, JLN SERI SENTOSA 8, SERI SENTOSA, OFF JLN KLANG LAMA, 58000 KUALA LUMPUR."
    )


def test_bracket_read_as_i_before_the_legal_suffix() -> None:
    # GIVEN "(KL) SDN BHD" read as "(KLISDN BHD" (training key 331)
    receipt = extract_receipt(
        ocr_lines(["GARDENIA BAKERIES (KLISDN BHD", "(139386 X)", "LOT 3, JALAN PELABUR 23/1"])
    )
    assert receipt.vendor_name.text == "GARDENIA BAKERIES (KL) SDN BHD"


def test_unsure_vendor_words_are_repaired_against_the_lexicon() -> None:
    # GIVEN a name OCR was unsure of with a misread trade word (training key 508)
    rows = ["AIK HUAT HARDWAKE ENTERPRISE (SETIA ALAM) SDN BHD", "NO. 17-G, JALAN SETIA INDAH (X) U13/X"]
    unsure = extract_receipt(ocr_lines(rows, confidence=0.9))
    sure = extract_receipt(ocr_lines(rows, confidence=1.0))
    # THEN the word is repaired only where OCR was unsure (sure text is kept as printed)
    assert unsure.vendor_name.text == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    assert sure.vendor_name.text == "AIK HUAT HARDWAKE ENTERPRISE (SETIA ALAM) SDN BHD"


def test_decimal_point_lost_or_misread_on_the_total_row() -> None:
    # GIVEN "TOTAL RM 15 15" (training key 464) and "TOTAL 28-90" (key 324, another OCR setting)
    spaced = extract_receipt(ocr_lines(["1 ICE MOCHA | RM 12.99", "SUBTOTAL | RM 12.99", "TOTAL | RM 15 15"]))
    hyphen = extract_receipt(ocr_lines(["SUB-TOTAL | 27.27", "GST | 1.64", "TOTAL | 28-90", "CASH | 28-90"]))
    assert spaced.total.value == Decimal("15.15")
    assert hyphen.total.value == Decimal("28.90")


def test_misread_inclusive_label_still_marks_the_total() -> None:
    # GIVEN "Total Inclusive GST" read as "al Indusive GST" and a misread subtotal (training key 254)
    receipt = extract_receipt(
        ocr_lines(
            ["SubTotal: | 035.00", "Rounding Adj : | 0.00", "al Indusive GST: | 635.00", "MASTER | 035.00"]
        )
    )
    assert receipt.total.value == Decimal("635.00")


def test_date_separators_misread_by_ocr() -> None:
    # GIVEN "05-02-18" read as "05 02-18" (training key 070) and "02-05-18" as "02~05-18" (key 574)
    spaced = extract_receipt(ocr_lines(["99 SPEED MART S/B", "01:34PM 568017 05 02-18"]))
    tilde = extract_receipt(ocr_lines(["99 SPEED MART S/B", "05:03PM 570668 02~05-18"]))
    assert spaced.date.text == "05-02-18"
    assert spaced.date.value is not None and spaced.date.value.isoformat() == "2018-02-05"
    assert tilde.date.text == "02-05-18"


def test_vendor_spacing_and_suffix_slips() -> None:
    # GIVEN "S/B" read as "S/0" (key 070), spaces read as "_" (key 505), a word split in two (key 361)
    suffix = extract_receipt(ocr_lines(["99 SPEED MART S/0 (519537-X)", "LOT P.T. 2811, JALAN ANGSA,"]))
    underscores = extract_receipt(ocr_lines(["AIK_HUAT_HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"]))
    split = extract_receipt(ocr_lines(["GARDENIA BAK ERIES (KL) SDN BHD (139386 X)"], confidence=0.97))
    assert suffix.vendor_name.text == "99 SPEED MART S/B"
    assert underscores.vendor_name.text == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"
    assert split.vendor_name.text == "GARDENIA BAKERIES (KL) SDN BHD"


def test_address_letter_slips() -> None:
    # GIVEN "Jln" read as "JIn" (key 061) and "Lot" as "1ot" (key 331)
    receipt = extract_receipt(
        ocr_lines(
            ["GARDENIA BAKERIES (KL) SDN BHD", "1ot 3, JIn Pelabur 23/1,", "40300 Shah Alam, Selangor."],
            confidence=0.97,
        )
    )
    assert receipt.vendor_address.text == "Lot 3, Jln Pelabur 23/1, 40300 Shah Alam, Selangor."
