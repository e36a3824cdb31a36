"""Unit: round-3 address extent and repairs, on cases modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

from receiptflow.extract import extract_receipt

from tests.support.ocr_layout import ocr_lines


def test_branch_name_over_the_numbered_first_row_is_not_the_address() -> None:
    # GIVEN the outlet's name printed between the tax line and the address (training key 297)
    receipt = extract_receipt(
        ocr_lines(
            [
                "TAX INVOICE",
                "DOMINO'S PIZZA",
                "GST REF NO : 001694261248",
                "DOMINO'S PIZZA PERMAS JAYA",
                "NO.12, JALAN PERMAS JAYA 10,",
                "BANDAR BARU PERMAS JAYA, 81750 MASAI",
                "JOHOR",
                "CARRY OUT NOW PAY BY: CASH",
            ]
        )
    )
    # THEN the address starts at its house number
    assert (
        receipt.vendor_address.text
        == "NO.12, JALAN PERMAS JAYA 10, BANDAR BARU PERMAS JAYA, 81750 MASAI JOHOR"
    )


def test_branch_name_ending_in_a_short_number_is_dropped_too() -> None:
    # GIVEN "MPH ONE UTAMA PHASE 2" over "LOT S319, 2ND FLOOR," (training key 418)
    receipt = extract_receipt(
        ocr_lines(
            [
                "MPH BOOKSTORES",
                "SDN BHD",
                "GST NO: 000542572544",
                "MPH ONE UTAMA PHASE 2",
                "LOT S319, 2ND FLOOR,",
                "1 UTAMA SHOPPING CENTRE,",
                "NO1, LEBUH BANDAR UTAMA,47800 P.JAYA",
                "TEL:03-77259003 | FAX:03-77224003",
            ]
        )
    )
    assert receipt.vendor_address.text == (
        "LOT S319, 2ND FLOOR, 1 UTAMA SHOPPING CENTRE, NO1, LEBUH BANDAR UTAMA,47800 P.JAYA"
    )


def test_street_row_over_the_postcode_row_is_kept() -> None:
    # GIVEN a street with no number over the postcode and town (training key 225)
    receipt = extract_receipt(
        ocr_lines(
            ["RELAIS TOTAL OULMES", "AUTOROUTE RABAT MEKNES", "15000 KHEMISSET", "TEL. : 05.22.95.66.66"]
        )
    )
    assert receipt.vendor_address.text == "AUTOROUTE RABAT MEKNES 15000 KHEMISSET"


def test_street_name_row_over_the_number_row_is_kept() -> None:
    # GIVEN an address whose first row is the street, the house number under it (training key 312)
    receipt = extract_receipt(
        ocr_lines(
            [
                "KEDAI BESI SDN BHD",
                "JALAN LOKE YEW BENTONG",
                "90 GROUND FLOOR JALAN BENTONG",
                "TEL 09-2221234",
            ]
        )
    )
    assert receipt.vendor_address.text == "JALAN LOKE YEW BENTONG 90 GROUND FLOOR JALAN BENTONG"


def test_prepay_chit_number_ends_the_address() -> None:
    # GIVEN a petrol-station slip with "PREPAY CHIT NUMBER" under the address (training key 181)
    receipt = extract_receipt(
        ocr_lines(
            [
                "BHPETROL PALEKBANG",
                "LOT 1626, MUKIM KAMPUNG LAUT",
                "TUMPAT",
                "16200 PALEKBANG, KELANTAN",
                "PREPAY CHIT NUMBER",
                "29721",
                "THIS IS NOT A RECEIPT",
            ]
        )
    )
    assert receipt.vendor_address.text == "LOT 1626, MUKIM KAMPUNG LAUT TUMPAT 16200 PALEKBANG, KELANTAN"


def test_bracketed_branch_under_the_address_is_part_of_it() -> None:
    # GIVEN the store in brackets under the address (training key 004), as the labels keep it
    receipt = extract_receipt(
        ocr_lines(
            [
                "MR D.I.Y. (M) SDN BHD",
                "(CO. RFG : 860671-D)",
                "LOT 1851-A & 1851-B, JALAN KPB 6,",
                "KAWASAN PERINDUSTRIAN BALAKONG,",
                "43300 SERI KEMBANGAN, SELANGOR",
                "(TESCO PUTRA NILAI)",
                "-INVOICE-",
            ]
        )
    )
    assert receipt.vendor_address.text == (
        "LOT 1851-A & 1851-B, JALAN KPB 6, KAWASAN PERINDUSTRIAN BALAKONG, 43300 SERI KEMBANGAN, "
        "SELANGOR (TESCO PUTRA NILAI)"
    )


def test_full_stop_after_a_lettered_house_number_is_a_comma() -> None:
    # GIVEN "1A." read where the receipt prints "1A," (training key 467)
    receipt = extract_receipt(
        ocr_lines(
            [
                "SYARIKAT PERNIAGAAN SDN BHD",
                "NO. 47, JALAN MERANTI 1A. BANDAR BARU UTAMA,",
                "44300 BATANG KALI, SELANGOR.",
                "TEL : 03-60571234",
            ]
        )
    )
    assert (
        receipt.vendor_address.text
        == "NO. 47, JALAN MERANTI 1A, BANDAR BARU UTAMA, 44300 BATANG KALI, SELANGOR."
    )


def test_lorong_abbreviation_starts_the_address() -> None:
    # GIVEN "22 LRG PERUSAHAAN 4" (LRG = LORONG) as the first address row (training key 164)
    receipt = extract_receipt(
        ocr_lines(
            ["SUNFISH", "<484297-M>", "22 LRG PERUSAHAAN 4", "KIMPAL INDS.PARK B.CAVES", "TEL : 03-61855688"]
        )
    )
    assert receipt.vendor_address.text == "22 LRG PERUSAHAAN 4 KIMPAL INDS.PARK B.CAVES"


def test_address_label_is_not_part_of_the_address() -> None:
    # GIVEN "HQ ADD:" printed before the address (training key 382)
    receipt = extract_receipt(
        ocr_lines(
            [
                "SYARIKAT BORONG SDN BHD",
                "HQ ADD: LOT 11995, BATU 2, JALAN KAPAR",
                "41400 KLANG, SELANGOR",
                "TEL : 03-33421234",
            ]
        )
    )
    assert receipt.vendor_address.text == "LOT 11995, BATU 2, JALAN KAPAR 41400 KLANG, SELANGOR"


def test_lot_read_with_a_one_and_a_dot() -> None:
    # GIVEN "Lot" read as "1.ot" (training key 331, rotated reading)
    receipt = extract_receipt(
        ocr_lines(
            ["GARDENIA BAKERIES (KL) SDN BHD", "1.ot 3, Jalan Pelabur 23/1,", "40300 Shah Alam, Selangor."]
        )
    )
    assert receipt.vendor_address.text == "Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam, Selangor."
