"""The vendor's address: the rows under the name up to the first contact or document line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from receiptflow.extract.cues import ADDRESS_CUE, COMPANY_SUFFIX, CONTACT_LINE, REG_ONLY, fix_case_slips
from receiptflow.extract.layout import Row
from receiptflow.extract.text import clean, digit_share
from receiptflow.money import find_amounts

_BRANCH_CODE = re.compile(
    r"^\d{3,4}\s?-\s?[A-Z]{2}|^\d{4}\s[A-Z]{3}"
)  # "1181-TMN SRI SINAR" under the address
_ADDRESS_SKIP = re.compile(r"\b(BR|CO|ROC|REG|COMPANY|BUSINESS)\.?\s*(REG\.?\s*)?NO\b|^\(.*\)$")
# a company registration number ("CO KEG NO : 210038-K", "(1234567-A)"), OCR slips in its label aside
_REG_NUMBER = re.compile(r"(?<![\w-])\d{5,8}\s?-\s?[A-Z]\b(?!\s*\w)")
# document/contact wording that ends the address: "PREPAY CHIT NUMBER 29721", "INV NO # : BW..." printed
# right under it were swallowed (training: +2 text-line receipts, +1 on each OCR reading of the images)
_ADDRESS_END = re.compile(
    r"\b(DOC|DOCUMENT|INVOICE|INV|PREPAY|NUMBER|RECEIPT|BILL|CHECK|ORDER|SLIP|TABLE|CASHIER)\b"
)
# a branch or building name printed over the address ("DOMINO'S PIZZA PERMAS JAYA", "MPH ONE UTAMA
# PHASE 2", "BANDAR BARU RAWANG") is not part of it when the next row starts the address with its
# number; a street name or a row ending in a comma is (training: +8 text-line receipts, −3 where the
# labels of one chain keep the name; +2 on each OCR reading of the images)
_HOUSE_NUMBER = re.compile(r"NO\b|NO\.|LOT\b|UNIT\b|\d(?!\d{4}\b)")  # not a postcode row
_STREET_WORD = re.compile(
    r"\b(JALAN|JLN|LORONG|STREET|ROAD|AVENUE|AVE|BOULEVARD|HIGHWAY|ROUTE|AUTOROUTE|RUE|DRIVE|LANE)\b|"
    r"\w(STRASSE|STR\.)"
)
_DIGIT_INSIDE = re.compile(r"\d(?!\d?$)")  # any digit except a short trailing number ("PHASE 2")
# a bracketed name under the address ("(TESCO PUTRA NILAI)") is part of it in the labels (training:
# +1 text-line receipt, none broken)
_BRACKETED_NAME = re.compile(r"\([^\d()]+\)")
# the label printed before an address is not part of it ("HQ ADD: LOT 11995, ...", training key 382)
_ADDRESS_LABEL = re.compile(r"^(HQ\s+)?(ADD|ADDRESS|ALAMAT)\s*:\s*", re.I)


def _is_name_row(text: str) -> bool:
    """A row that names a place rather than locating it: no house number, no street word."""
    upper = clean(text).upper()
    return not (_DIGIT_INSIDE.search(upper) or _STREET_WORD.search(upper) or upper.endswith(","))


def address_block(head: Sequence[Row], after: int) -> tuple[str | None, float, tuple[int, ...], int]:
    """Rows after the vendor up to the first contact/tax/document line; the address ends on its last
    row with an address cue (a branch name printed under it is not part of it, a bracketed one is);
    registration numbers before it and a branch name over its numbered first row are passed over."""
    parts: list[tuple[Row, bool]] = []
    for row in head[after + 1 :]:
        text = clean(row.text)
        upper = text.upper()
        cue = bool(ADDRESS_CUE.search(upper) or (parts and _BRANCH_CODE.match(upper)))
        if not parts and (
            REG_ONLY.match(upper)
            or _ADDRESS_SKIP.search(upper)
            or _REG_NUMBER.search(upper)
            or (COMPANY_SUFFIX.search(upper) and not cue)
        ):
            continue
        if (
            CONTACT_LINE.search(upper)
            or _ADDRESS_END.search(upper)
            or _REG_NUMBER.search(upper)
            or find_amounts(text)
            or (digit_share(text) > 0.6 and not cue)
        ):
            if parts:
                break
            continue
        if parts and _BRACKETED_NAME.fullmatch(text):
            parts.append((row, True))
            break
        if cue or parts:
            parts.append((row, cue))
        if len(parts) >= 6:
            break
    if (
        len(parts) > 1
        and _is_name_row(parts[0][0].text)
        and _HOUSE_NUMBER.match(clean(parts[1][0].text).upper())
    ):
        parts.pop(0)  # a branch or building name over the address
    while parts and not parts[-1][1] and not (len(parts) > 1 and parts[-2][0].text.rstrip().endswith(",")):
        parts.pop()
    if not parts:
        return None, 0.0, (), 0
    cues = sum(c for _, c in parts)
    text = tidy_address(_ADDRESS_LABEL.sub("", " ".join(clean(r.text) for r, _ in parts)))
    return text, min(0.4 + 0.15 * cues, 0.9), tuple(r.index for r, _ in parts), cues


# A full stop between two address parts is, on these receipts, nearly always a comma misread by OCR
# (training labels: 1008 commas vs 16 full stops there); abbreviations keep their dot. After a house
# number with a letter ("MERANTI 1A. BANDAR") too (training images: +1, +1 on the rotated reading).
_PART_DOT = re.compile(
    r"(?:(?<=[A-Za-z]{2})|(?<=\d)|(?<=\d[A-Za-z]))(?<!\bNO)(?<!\bKG)(?<!\bJLN)(?<!\bTMN)(?<!\bBLK)(?<!\bST)(?<!\bJL)(?<!\bLOT)"
    r"\.(?=\s[A-Za-z0-9]{2})",
    re.I,
)
_SPACE_BEFORE_BRACKET = re.compile(r"(?<=[A-Za-z0-9.,])(?=\()")
_GLUED_STREET = re.compile(r"(?<=\d)(?=(JALAN|JLN|LORONG|TAMAN|TMN)\b)", re.I)


# OCR character slips seen in address words: O for 0 after digits (29O), 1 or I for l inside words
# (J1n, JIn, Ma11, 1ot, 1.ot: +1 on the rotated reading), and the glued or misread "LOT" / "JALAN" /
# "TAMAN" that start address parts.
_ADDRESS_SLIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=\d)[Oo](?=\d|\b)"), "0"),
    (re.compile(r"(?<=\b[A-Za-z])1(?=[A-Za-z]\b)"), "l"),
    (re.compile(r"(?<=\b[A-Za-z]{2})11\b"), "ll"),
    (re.compile(r"\bJ[I|]n\b"), "Jln"),
    (re.compile(r"\b[1I|]\.?ot\b"), "Lot"),
    (re.compile(r"^(?!LOT\b|Lot\b)L[.\s]?[OoU0][iIt1T]\b"), "LOT"),
    (re.compile(r"\b(JALAN|TAMAN|Jalan|Taman)(?=[A-Za-z]{3,})"), r"\1 "),
    # no training address label has a double quote or a dollar sign: a quote is a speck ('DESA "EBRAU'),
    # a $ before digits an 8 ("$1100 JOHOR BAHRU"; training key 542 on all five image readings)
    (re.compile(r'"'), ""),
    (re.compile(r"\$(?=\d)"), "8"),
)


def tidy_address(text: str) -> str:
    """OCR slips in an address repaired: punctuation between parts (``PUDU. 55100`` → ``PUDU, 55100``)
    and digit/letter confusions in its words."""
    for pattern, repl in _ADDRESS_SLIPS:
        text = pattern.sub(repl, text)
    text = _GLUED_STREET.sub(" ", _PART_DOT.sub(",", fix_case_slips(text)))
    return _SPACE_BEFORE_BRACKET.sub(" ", text)
