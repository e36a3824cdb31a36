"""The vendor's address: the rows under the name up to the first contact or document line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from receiptflow.extract.cues import ADDRESS_CUE, COMPANY_SUFFIX, CONTACT_LINE, REG_ONLY, fix_case_slips
from receiptflow.extract.layout import Row
from receiptflow.extract.numbers import find_amounts
from receiptflow.extract.text import clean, digit_share

_BRANCH_CODE = re.compile(
    r"^\d{3,4}\s?-\s?[A-Z]{2}|^\d{4}\s[A-Z]{3}"
)  # "1181-TMN SRI SINAR" under the address
_ADDRESS_SKIP = re.compile(r"\b(BR|CO|ROC|REG|COMPANY|BUSINESS)\.?\s*(REG\.?\s*)?NO\b|^\(.*\)$")
# a company registration number ("CO KEG NO : 210038-K", "(1234567-A)"), OCR slips in its label aside
_REG_NUMBER = re.compile(r"(?<![\w-])\d{5,8}\s?-\s?[A-Z]\b(?!\s*\w)")
_ADDRESS_END = re.compile(r"\b(DOC|DOCUMENT|INVOICE|RECEIPT|BILL|CHECK|ORDER|SLIP|TABLE|CASHIER)\b")


def address_block(head: Sequence[Row], after: int) -> tuple[str | None, float, tuple[int, ...], int]:
    """Rows after the vendor up to the first contact/tax/document line; the address ends on its last
    row with an address cue (a branch name printed under it is not part of it); registration numbers
    before it are passed over."""
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
        if cue or parts:
            parts.append((row, cue))
        if len(parts) >= 6:
            break
    while parts and not parts[-1][1] and not (len(parts) > 1 and parts[-2][0].text.rstrip().endswith(",")):
        parts.pop()
    if not parts:
        return None, 0.0, (), 0
    cues = sum(c for _, c in parts)
    text = tidy_address(" ".join(clean(r.text) for r, _ in parts))
    return text, min(0.4 + 0.15 * cues, 0.9), tuple(r.index for r, _ in parts), cues


# A full stop between two address parts is, on these receipts, nearly always a comma misread by OCR
# (training labels: 1008 commas vs 16 full stops there); abbreviations keep their dot.
_PART_DOT = re.compile(
    r"(?:(?<=[A-Za-z]{2})|(?<=\d))(?<!\bNO)(?<!\bKG)(?<!\bJLN)(?<!\bTMN)(?<!\bBLK)(?<!\bST)(?<!\bJL)(?<!\bLOT)"
    r"\.(?=\s[A-Za-z0-9]{2})",
    re.I,
)
_SPACE_BEFORE_BRACKET = re.compile(r"(?<=[A-Za-z0-9.,])(?=\()")
_GLUED_STREET = re.compile(r"(?<=\d)(?=(JALAN|JLN|LORONG|TAMAN|TMN)\b)", re.I)


# OCR character slips seen in address words: O for 0 after digits (29O), 1 or I for l inside words
# (J1n, JIn, Ma11, 1ot), and the glued or misread "LOT" / "JALAN" / "TAMAN" that start address parts.
_ADDRESS_SLIPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=\d)[Oo](?=\d|\b)"), "0"),
    (re.compile(r"(?<=\b[A-Za-z])1(?=[A-Za-z]\b)"), "l"),
    (re.compile(r"(?<=\b[A-Za-z]{2})11\b"), "ll"),
    (re.compile(r"\bJ[I|]n\b"), "Jln"),
    (re.compile(r"\b[1I|]ot\b"), "Lot"),
    (re.compile(r"^(?!LOT\b|Lot\b)L[.\s]?[OoU0][iIt1T]\b"), "LOT"),
    (re.compile(r"\b(JALAN|TAMAN|Jalan|Taman)(?=[A-Za-z]{3,})"), r"\1 "),
)


def tidy_address(text: str) -> str:
    """OCR slips in an address repaired: punctuation between parts (``PUDU. 55100`` → ``PUDU, 55100``)
    and digit/letter confusions in its words."""
    for pattern, repl in _ADDRESS_SLIPS:
        text = pattern.sub(repl, text)
    text = _GLUED_STREET.sub(" ", _PART_DOT.sub(",", fix_case_slips(text)))
    return _SPACE_BEFORE_BRACKET.sub(" ", text)
