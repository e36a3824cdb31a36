"""Unit: round-4 vendor and address tolerance of OCR slips (faded and resampled readings), on cases
modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

import pytest
from receiptflow.extract import extract_receipt
from receiptflow.extract.header import vendor_name
from receiptflow.extract.lexicon import correct_text

from tests.support.ocr_layout import ocr_lines


def _vendor(rows: list[str], *, confidence: float = 0.98) -> str | None:
    return extract_receipt(ocr_lines(rows, confidence=confidence)).vendor_name.text


def _address(rows: list[str], *, confidence: float = 0.98) -> str | None:
    return extract_receipt(ocr_lines(rows, confidence=confidence)).vendor_address.text


@pytest.mark.parametrize(
    "label",
    [
        "Company ro : 1174703-K",  # N read as R (training key 050, faded reading)
        "Company No. SA0127959-D",  # the number's letters do not make it a name (key 063, faded)
    ],
)
def test_the_registration_label_under_the_name_is_not_the_vendor(label: str) -> None:
    # GIVEN the name, then the company-number row printed larger than usual
    rows = ["Timeless Kitchenette Sdn Bhd", label, "GST Reg no : 0000 6771 0976", "Lot 50, Pahang"]
    assert _vendor(rows) == "Timeless Kitchenette Sdn Bhd"


def test_a_glued_registration_label_does_not_join_the_name() -> None:
    # GIVEN "CompanyNo :" with its number on the next row (training key 564, enlarged reading)
    rows = ["PROSPER NIAGA", "CompanyNo :", "(002036720-W)", "LOT PT 1138, PT 33122,"]
    assert _vendor(rows) == "PROSPER NIAGA"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        # B read as P, H as O or HI in "BHD" (training keys 312, 505 on the faded/enlarged readings)
        ("Guardian Health And Beauty Sdn Phd", "Guardian Health And Beauty Sdn BHD"),
        ("AIK HUAT HARDWARE SDN BOD", "AIK HUAT HARDWARE SDN BHD"),
        ("AIK HUAT HARDWARE SDN BHID", "AIK HUAT HARDWARE SDN BHD"),
        # L read as 1 in a bracketed place code (keys 358, 363, 374)
        ("GARDENIA BAKERIES (K1) SDN BHD", "GARDENIA BAKERIES (KL) SDN BHD"),
        # a registration number glued after the suffix, its first digit misread (key 355, faded)
        ("GARDENIA BAKERIES (KL) SDN BHD (U393S6", "GARDENIA BAKERIES (KL) SDN BHD"),
        # a speck read as a full stop after a long word or between two words (keys 510, 464)
        (
            "AIK HUAT HARDWARE ENTERPRISE. (SETIA ALAM) SDN BHD",
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD",
        ),
        ("THE MARCO POLO.KITCH", "THE MARCO POLO KITCH"),
        # printed full stops stay: short abbreviations, a dotted domain, SDN.BHD (keys 242, 397)
        ("MR. D.I.Y. (KUCHAI) SDN BHD", "MR. D.I.Y. (KUCHAI) SDN BHD"),
        ("ECOSWAY.COM SDN BHD", "ECOSWAY.COM SDN BHD"),
        ("SEGI CASH & CARRY SDN.BHD", "SEGI CASH & CARRY SDN.BHD"),
        ("EIGHT OUNCE COFFEE CO.", "EIGHT OUNCE COFFEE CO."),
    ],
)
def test_vendor_name_repairs_ocr_slips(printed: str, expected: str) -> None:
    assert vendor_name(printed) == expected


def test_registration_number_glued_to_the_name_row_does_not_pull_in_the_address() -> None:
    # GIVEN the faded reading of training key 355: the name row ends with an open bracket
    rows = [
        "GARDENIA BAKERIES (KL) SDN BHD (U393S6",
        "Lot 3, Jalan Pelabur 23/1,",
        "40300 Shah Alam, Selangor",
        "Tel:03- 55423228 Fax:03 55423213",
    ]
    receipt = extract_receipt(ocr_lines(rows))
    assert receipt.vendor_name.text == "GARDENIA BAKERIES (KL) SDN BHD"
    assert receipt.vendor_address.text == "Lot 3, Jalan Pelabur 23/1, 40300 Shah Alam, Selangor"


def test_speck_and_dollar_sign_in_the_address_are_repaired() -> None:
    # GIVEN a speck read as a quote and an 8 read as "$" in the postcode (training key 542)
    rows = [
        "LAVENDER CONFECTIONERY & BAKERY S/B",
        "COMPANY NO: 499702-V",
        "NO. 1, JALAN DESA TEBRAU,",
        'TAMAN DESA "TEBRAU, $1100 JOHOR BAHRU.',
        "TEL:07-364 3785",
    ]
    assert _address(rows) == "NO. 1, JALAN DESA TEBRAU, TAMAN DESA TEBRAU, 81100 JOHOR BAHRU."


def test_two_unknown_pieces_of_a_known_word_are_rejoined() -> None:
    # GIVEN a space inserted inside "SULTAN" (seen 4 times in the training labels; key 317, downscaled)
    assert correct_text("42-46, JLN SUL TAN AZLAN SHAH") == "42-46, JLN SULTAN AZLAN SHAH"
