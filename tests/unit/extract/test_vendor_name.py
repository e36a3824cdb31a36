"""Unit: round-3 vendor-name behaviour on cases modelled on training-split receipts, as OCR lines."""

from __future__ import annotations

import pytest
from receiptflow.extract import extract_receipt

from tests.support.ocr_layout import ocr_lines


def _vendor(rows: list[str], *, confidence: float = 0.98) -> str | None:
    return extract_receipt(ocr_lines(rows, confidence=confidence)).vendor_name.text


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        # "&" spaced on one side only (training key 183, another OCR reading)
        ("SLF CASH &CARRY", "SLF CASH & CARRY"),
        ("SLF CASH& CARRY", "SLF CASH & CARRY"),
        # "&" printed without spaces stays so (key 323)
        ("R&C VENTURE SDN BHD (1191015-W)", "R&C VENTURE SDN BHD"),
        # a digit glued to S/B (key 170)
        ("Zen and coffee 28S/B", "Zen and coffee 28 S/B"),
        # "'S" glued to the next word (key 246)
        ("KING'SCONFECTIONERY S/B", "KING'S CONFECTIONERY S/B"),
        # a brace read for a bracket (key 254)
        ("BEMED (SP} SDN. BHD.", "BEMED (SP) SDN. BHD."),
        # a Malay trade word glued to the next word (key 118)
        ("SYARIKAT PERNIAGAANGIN KEE", "SYARIKAT PERNIAGAAN GIN KEE"),
    ],
)
def test_vendor_spacing_slips(printed: str, expected: str) -> None:
    assert _vendor([printed, "NO 290, JALAN AIR PANAS,"]) == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("SUPER SEVEN CASH & CARRY SDN 3HD", "SUPER SEVEN CASH & CARRY SDN BHD"),  # key 185
        (
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BID",
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD",
        ),
        (
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDNBHU",
            "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD",
        ),
        ("GH DISTRIBUTOR & MARKETING SON BHD", "GH DISTRIBUTOR & MARKETING SDN BHD"),  # key 610
    ],
)
def test_legal_suffix_slips(printed: str, expected: str) -> None:
    assert _vendor([printed, "NO.1, TAMAN SRI DENGKIL, JALAN AIR HITAM"]) == expected


def test_nothing_with_digits_after_the_legal_suffix_or_a_leading_number() -> None:
    # GIVEN OCR noise after the suffix (key 219), a registration number with a branch code (key 279)
    # and a "#" counter before the name (key 202)
    assert _vendor(["PRINT EXPERT SDN BHD 2J2", "989625-A"]) == "PRINT EXPERT SDN BHD"
    assert _vendor(["KING'S CONFECTIONERY S/B 273500-U (KJ1)"]) == "KING'S CONFECTIONERY S/B"
    assert _vendor(["#000002 BAIFU (M) SDN BHD", "COMPANY NO(814198-X)"]) == "BAIFU (M) SDN BHD"


def test_registration_number_cut_short_does_not_pull_in_the_address() -> None:
    # GIVEN the start of the registration number read on the name's row, its end lost (key 331)
    rows = ["GARDENIA BAKERIES (KLISDN BHD (137", "1.ot 3, Jalan Pelabur 23/1.", "40300 Shah Alam, Selangor"]
    receipt = extract_receipt(ocr_lines(rows, confidence=0.9))
    assert receipt.vendor_name.text == "GARDENIA BAKERIES (KL) SDN BHD"


def test_bracketed_amount_and_comma_rows_are_not_the_name() -> None:
    # a bracketed note under the name (key 226: no training label starts with a bracket)
    assert (
        _vendor(["TONYMOLY VIVA CITY", "(TONYMOLY SHOP (95874))", "JALAN WAN ALWI,"]) == "TONYMOLY VIVA CITY"
    )
    # an item line with a trade word (key 225)
    rows = ["RELAIS TOTAL OULMES", "15000 KHEMISSET", "Tel. : 05.22.95.66.66", "CAFE EXPRESSO 10.00 2 20.00"]
    assert _vendor(rows) == "RELAIS TOTAL OULMES"
    # an address line ending with a comma (key 038)
    rows = [
        "A03061",
        "YHM Aeon Tebrau City",
        "S117, Second Floor,",
        "Aeon Tebrau C1ty,",
        "1, Jalan Desa Tebrau,",
    ]
    assert _vendor(rows) == "YHM Aeon Tebrau City"


def test_posted_stamp_is_not_part_of_the_name() -> None:
    # GIVEN the accounting stamp "POSTED" read on the name's row (key 255) and on its own row (key 271)
    assert _vendor(["YONG CEN ENTERPRISE | POSTED", "9, JALAN SUBANG JASA 3,"]) == "YONG CEN ENTERPRISE"
    rows = ["THANK YOU AND DO VISIT US AGAIN", "POSTED", "FIVE STAR CASH & CARRY", "(1365663-P)"]
    assert _vendor(rows) == "FIVE STAR CASH & CARRY"


def test_malaysian_trade_and_legal_words() -> None:
    # "SB" ends a legal name (key 517), BOOKSTORES and PERNIAGAAN are trade words (keys 252, 008)
    rows = ["TQ FOR SHOPPING WITH MYNEWS.COM", "NO.9, JALAN 16/11,,46350,PETALING JAYA,SELANGOR"]
    rows += ["MYNEWS RETAIL SB(306295-X) FKA BISON STORES SB"]
    assert _vendor(rows) == "MYNEWS RETAIL SB"
    assert (
        _vendor(["TIMES BOOKSTORES", "LOT F21 @ 22, CITTA MALL", "NO 1, JLN PJU 1A/4"]) == "TIMES BOOKSTORES"
    )
    # (the customer's legal name printed under the header does not outrank it)
    rows = ["PERNIAGAAN ZHENG HUI", "JM0325955-V", "NO.59 JALAN PERMAS 9/5", "BANDAR BARU PERMAS JAYA"]
    rows += ["81760 JOHOR BAHRU", "TEL : 07-386 7524", "GST NO: 000800589824", "SIMPLIFIED TAX INVOICE"]
    rows += ["GOGIANT ENGINEERING (M) SDN BHD"]
    assert _vendor(rows, confidence=1.0) == "PERNIAGAAN ZHENG HUI"


def test_unsure_continuation_row_is_read_through_the_lexicon() -> None:
    # GIVEN "ENTERPRISE (SETIA" read as "ENTERPRISEV(SETIA" with low confidence (key 505)
    rows = [
        "AIK HUAT HARDWARE",
        "ENTERPRISEV(SETIA",
        "ALAM) SDN BHD",
        "822737-X",
        "NO. 17-G, JALAN SETIA INDAH",
    ]
    assert _vendor(rows, confidence=0.94) == "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD"


def test_name_without_legal_suffix_continues_on_a_plain_row() -> None:
    # GIVEN a trade name over two rows, then its registration number (training key 065)
    rows = ["RESTAURANT JIAWEI", "JIAWEI HOUSE", "002693074-K", "NO 2, JALAN PUTERI 2/4"]
    assert _vendor(rows, confidence=1.0) == "RESTAURANT JIAWEI JIAWEI HOUSE"
    # a legal name is complete: the plain row under it is not joined
    rows = ["TK DIVISION KITCHEN SDN BHD", "KIKU JAPANESE RESTAURANT", "NO 2, JALAN PUTERI 2/4"]
    assert _vendor(rows, confidence=1.0) == "TK DIVISION KITCHEN SDN BHD"
