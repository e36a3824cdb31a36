"""Unit: round-2 extractor behaviour on cases modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

from decimal import Decimal

from receiptflow.extract import extract_receipt

from tests.extract.receipts import ocr_lines


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
    # THEN the total is what was paid less the change, not the subtotal
    assert receipt.total.value == Decimal("29.80")
    assert receipt.total.confidence < 0.5


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
