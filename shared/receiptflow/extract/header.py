"""The header block: vendor name and address from the first rows, by layout and wording."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from receiptflow.extract.address import address_block
from receiptflow.extract.cues import (
    ADDRESS_CUE,
    COMPANY_SUFFIX,
    CONTACT_LINE,
    LEGAL_SUFFIX,
    NOT_VENDOR,
    fix_case_slips,
)
from receiptflow.extract.layout import Row
from receiptflow.extract.lexicon import correct_text
from receiptflow.extract.text import clean, letter_share


@dataclass(frozen=True)
class Header:
    """Vendor name and address as printed, with the rows they came from and a certainty each."""

    vendor: str | None
    vendor_certainty: float
    vendor_rows: tuple[int, ...]
    address: str | None
    address_certainty: float
    address_rows: tuple[int, ...] = ()
    address_cues: int = 0
    vendor_margin: float = 0.0


_REG_TAIL = re.compile(
    r"[\s\-]*\(?\s*(?:CO(?:MPANY)?\.?\s*(?:REG\.?|NO\.?)\s*(?:NO\.?)?\s*[:.]?\s*)?[A-Z]{0,2}\d{4,}[\s\-·.]*[A-Z]?\s*\)?"
    r"(?:\s*\([A-Z0-9]{2,4}\))?[\s\-.]*$"
)
# a registration number inside the name ends it ("MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB")
_REG_CUT = re.compile(r"\s*\(\s*\d{4,}\s*-\s*[A-Z]\s*\).*$")
_LEADS_WITH_SUFFIX = re.compile(r"^\(?(CO\.?\s*\(M\)\s*)?(SDN\.?\s*BHD|BHD|S/B|BERHAD|ENTERPRISE|TRADING)\b")
_ENDS_WITH_SUFFIX = re.compile(r"(SDN\.?\s*BHD|BHD|S/B|BERHAD|ENTERPRISE|TRADING)\.?\)?$")


# OCR slips inside the legal suffixes every Malaysian company name ends with
_SUFFIX_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[S5]/[BD8O0]\b"), "S/B"),
    # "SON BHD", "SDN 3HD", "SDN BID", "SDNBHU": 6 misses on the other training OCR readings
    (re.compile(r"\bS[I1L]N(?=\.?\s*B)|\bS[O0]N(?=\.?\s*[B38][HI1][DUO0]\b)"), "SDN"),
    # "SDN Phd", "SDN BOD", "SDN BHID" on the faded and enlarged readings (3 training names; each
    # still has another slip elsewhere)
    (re.compile(r"(?<=SDN)(\.?\s*)(?:[BE83P][HN][DÒO0U]|B[I1O0]D|BH[I1]D)(?=\W|$)"), r"\1BHD"),
    (re.compile(r"(?<=[A-Z]\.)1(?=\.[A-Z])"), "I"),
    (re.compile(r"\bSDN\.?\s*BH[IL1]\b"), "SDN BHD"),
    (re.compile(r"(?<=SDN)(?=BHD)"), " "),
    # a closing bracket read as I before the suffix: "(KLISDN BHD" -> "(KL) SDN BHD"
    (re.compile(r"(\([A-Z]{1,4})[I1L|]\s*(?=SDN\b|SDN\s*BHD)"), r"\1) "),
    # a short place code in brackets is letters only in the 566 training labels ("(M)", "(KL)", "(SP)"):
    # a 1 closing it is an OCR'd L ("(K1) SDN BHD", 3 misses on the faded and enlarged readings)
    (re.compile(r"(?<=\([A-Z])1(?=\))"), "L"),
    # OCR drops the spaces printed around brackets and after a title ("CO.(M)", "MR.D.I.Y.")
    (re.compile(r"(?<=[A-Z0-9.])(?=\()"), " "),
    (re.compile(r"(?<=\))(?=[A-Z0-9])"), " "),
    (re.compile(r"\b(MR|MRS|DR|MS)\.(?=[A-Z])"), r"\1. "),
    # none of the 566 training labels has a brace, an "&" spaced on one side only, a letter or digit
    # glued to "S/B" or "'S" glued to the next word: OCR lost or misread the character (4 misses)
    (re.compile(r"\{"), "("),
    (re.compile(r"\}"), ")"),
    (re.compile(r"(?<=\w)&(?=\s)"), " &"),
    (re.compile(r"(?<=\s)&(?=\w)"), "& "),
    (re.compile(r"(?<=[A-Z0-9])(?=S/B\b)"), " "),
    (re.compile(r"(?<=[A-Z]'S)(?=[A-Z]{3})"), " "),
)


# OCR reads a printed space as "_" between words ("AIK_HUAT_HARDWARE"); no training label has one
_UNDERSCORE_SPACE = re.compile(r"(?<=[A-Za-z])_(?=[A-Za-z])")
# the only words the 566 training labels end with a full stop are short (MR., CO., SDN., BHD., D.):
# one between two words or after a long word before a bracket or the end is OCR noise ("POLO.KITCH",
# "ENTERPRISE. (SETIA ALAM)": +1 on the rotated reading, none broken)
_STRAY_DOT = re.compile(r"(?<=[A-Za-z]{4})\.(?=[A-Za-z]{4})|(?<=[A-Za-z]{5})\.(?=\s*\(|\s*$)")
# an accounting stamp read on the name's row ("YONG CEN ENTERPRISE POSTED"): on 13 training receipts,
# in no label
_STAMP = re.compile(r"\bPOSTED\b", re.I)


def vendor_name(text: str) -> str:
    """A vendor line without its trailing registration number (``... SDN BHD (139386 X)``), stamps or
    OCR noise after the legal suffix, with OCR slips in the suffix (``S/D`` → ``S/B``, ``SIN BHD`` →
    ``SDN BHD``) and in the spacing (``CASH &CARRY``, ``28S/B``, ``PINGHWAITRADING``) repaired."""
    name = clean(_STAMP.sub(" ", _STRAY_DOT.sub(" ", _UNDERSCORE_SPACE.sub(" ", text))))
    for pattern, repl in _SUFFIX_FIXES:
        name = _upper_sub(pattern, repl, name)
    name = _REG_CUT.sub("", fix_case_slips(name))
    name = _GLUED_TRADE_WORD.sub(_unglue, name)
    name = _TRAILING_JUNK.sub("", name)
    name = _AFTER_LEGAL_SUFFIX.sub(r"\1\2", _LEADING_NUMBER.sub("", name))
    stripped = _REG_TAIL.sub("", name).strip().rstrip("-,").strip()
    return stripped if len(stripped) >= 3 else name


# OCR drops the space before/after a trade word: PINGHWAITRADING, SANYUSTATIONERYSHOP
_TRADE_WORDS = r"TRADING|ENTERPRISE|STATIONERY|HARDWARE|RESTAURANT|PERNIAGAAN"
_GLUED_TRADE_WORD = re.compile(rf"\b([A-Za-z]{{3,}}?)?({_TRADE_WORDS})([A-Za-z]{{3,}})?\b", re.I)


def _unglue(m: re.Match[str]) -> str:
    return " ".join(part for part in m.groups() if part)


_TRAILING_JUNK = re.compile(r"\s+[^\w\s().&'/-]+\w{0,3}$")


# no training label has a digit after its legal suffix (OCR noise "PRINT EXPERT SDN BHD 2J2", a
# registration number cut short "... SDN BHD (137", "S/B 273500-U (KJ1)") or starts with a "#" number
# ("#000002 BAIFU (M) SDN BHD"): 4 misses. The bracket may open on a misread digit ("SDN BHD (U393S6",
# then the open bracket pulled the address row into the name: +1 on the faded reading)
_AFTER_LEGAL_SUFFIX = re.compile(r"\b(BHD|S/B|BERHAD)(\.?)\s*(?:[^\s()]*\d[^()]*|\(\s*\w*\d[^)]*)$", re.I)
_LEADING_NUMBER = re.compile(r"^#\w*\d\w*\s+")


def _upper_sub(pattern: re.Pattern[str], repl: str, text: str) -> str:
    """Apply ``pattern`` case-insensitively by matching on the upper-cased text (same length)."""
    upper = text.upper()
    out, pos = [], 0
    for m in pattern.finditer(upper):
        out.append(text[pos : m.start()])
        fixed = m.expand(repl)
        out.append(text[m.start() : m.end()] if fixed == m.group(0) else fixed)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


# a money amount: an item or total line, never a name
_AMOUNT = re.compile(r"\d[.,]\d{2}\b")


def _vendor_score(row: Row, rank: int, tallest: float) -> float:
    name = vendor_name(row.text).upper()
    if len(name) < 3 or letter_share(name) < 0.5:
        return -3.0
    score = 0.0
    if LEGAL_SUFFIX.search(name):
        score += 3.0
    elif COMPANY_SUFFIX.search(name):
        score += 2.0
    if NOT_VENDOR.search(name):
        score -= 2.0
    if ADDRESS_CUE.search(name) and not COMPANY_SUFFIX.search(name):
        score -= 1.0
    if name.startswith("(") and name.endswith(")"):
        score -= 3.0  # a bracketed note under the name: no training label starts with a bracket
    if row.text.rstrip().endswith(",") and not LEGAL_SUFFIX.search(name):
        score -= 1.0  # an address line that carries on: no training label ends with a comma
    if _AMOUNT.search(name):
        score -= 2.0
    score += 0.8 * row.height / tallest
    score -= 0.15 * rank
    return score


_STRONG_ADDRESS = re.compile(r"\b(JALAN|JLN|LORONG|STREET|ROAD|AVENUE|AVE|STRASSE|RUE)\b|\b\d{5}\b")


def _after_address(head: Sequence[Row], index: int) -> float:
    """Penalty for a candidate printed below an address line (the name comes first), unless it
    carries a legal suffix."""
    if LEGAL_SUFFIX.search(vendor_name(head[index].text).upper()):
        return 0.0
    return 1.0 if any(_STRONG_ADDRESS.search(r.text.upper()) for r in head[:index]) else 0.0


def find_header(rows: Sequence[Row], *, limit: int = 10) -> Header:
    """Vendor (possibly split over rows: ``POPULAR BOOK`` + ``CO. (M) SDN BHD``) and its address."""
    head = list(rows[:limit])
    if not head:
        return Header(None, 0.0, (), None, 0.0)
    tallest = max(r.height for r in head) or 1.0
    scored = [(_vendor_score(r, i, tallest) - _after_address(head, i), i) for i, r in enumerate(head)]
    score, idx = max(scored, key=lambda s: (s[0], -s[1]))
    margin = score - max((s for s, i in scored if i != idx), default=-3.0)
    if score < -1.5:
        return Header(None, 0.0, (), *address_block(head, -1))
    first, last = _extend_up(head, idx), _extend_down(head, idx)
    vendor = vendor_name(" ".join(clean(r.text) for r in head[first : last + 1]))
    certainty = 0.9 if COMPANY_SUFFIX.search(vendor.upper()) else 0.6
    vendor_rows = tuple(head[i].index for i in range(first, last + 1))
    below = address_block(rows[: max(limit, last + 8)], last)
    if below[3] < 2:
        # the name may be printed under the address ("Owned by: ..."): take the stronger block
        above = address_block(head[:first], -1)
        if above[3] > below[3]:
            return Header(vendor, certainty, vendor_rows, *above, vendor_margin=margin)
    return Header(vendor, certainty, vendor_rows, *below, vendor_margin=margin)


# below this OCR confidence a row's words may be repaired against the lexicon (as the extractor does)
_SURE_OCR = 0.99


def _repaired_name(row: Row) -> str:
    """The row's name text, upper-cased, with words repaired against the lexicon where OCR was unsure
    (``ENTERPRISEV (SETIA`` still reads as the continuation it is)."""
    name = vendor_name(row.text)
    if min((s.confidence for s in row.segments), default=1.0) < _SURE_OCR:
        name = correct_text(name)
    return name.upper()


def _extend_up(head: Sequence[Row], first: int) -> int:
    """First row of the name: a row that reads as a continuation (``SDN BHD``, ``& TEA LEAF ...``,
    ``ALAM) SDN BHD``, nothing but trade words) is joined to the row above it."""
    while first > 0 and _joinable(head[first - 1]):
        name = _repaired_name(head[first])
        above = vendor_name(head[first - 1].text).upper()
        continues = (
            _LEADS_WITH_SUFFIX.match(name)
            or name.count(")") > name.count("(")
            or name.startswith("&")
            or (name.startswith("(") and not name.endswith(")"))
            or _distinctive_words(name) == 0
        )
        if not (continues or above.endswith("&") or above.count("(") > above.count(")")):
            break
        first -= 1
    return first


def _extend_down(head: Sequence[Row], last: int) -> int:
    """Last row of the name: a name without its legal suffix continues on up to two more rows when
    they start with one, when it ends with ``&`` or an open bracket, or when the next row is plain
    words (``RESTAURANT JIAWEI`` + ``JIAWEI HOUSE``)."""
    first = last
    while last + 1 < len(head) and last - first < 2:
        name = vendor_name(" ".join(r.text for r in head[first : last + 1])).upper()
        nxt = vendor_name(head[last + 1].text).upper()
        if _ENDS_WITH_SUFFIX.search(name) and not name.endswith("&"):
            break
        unbalanced = name.count("(") > name.count(")")
        plain = not LEGAL_SUFFIX.search(name) and _plain(nxt)
        if not (
            name.endswith("&")
            or ((_LEADS_WITH_SUFFIX.match(nxt) or unbalanced or plain) and _joinable(head[last + 1]))
        ):
            break
        last += 1
    return last


_GENERIC_WORD = re.compile(
    r"^(SDN|BHD|S/B|BERHAD|CO|M|THE|AND|RESTAURANT|RESTORAN|BAKERY|CAFE|SHOP|STORE|ENTERPRISE|TRADING|"
    r"MARKET|MART|HARDWARE|KITCHEN|FOOD|FOODS)$"
)


def _distinctive_words(name: str) -> int:
    """How many words of ``name`` are not legal suffixes or generic trade words."""
    words = re.findall(r"[A-Z][A-Z'/]*", name)
    return sum(not _GENERIC_WORD.match(w) for w in words)


def _plain(name: str) -> bool:
    """Words only: no digits, address cue or contact wording. Under a name without a legal suffix such
    a row belongs to the name in the training labels (6 receipts joined, 2 not; +2 text-line receipts)."""
    return not re.search(r"\d", name) and not ADDRESS_CUE.search(name) and not CONTACT_LINE.search(name)


def _joinable(row: Row) -> bool:
    text = vendor_name(row.text).upper()
    return letter_share(text) >= 0.6 and not NOT_VENDOR.search(text) and not CONTACT_LINE.search(text)
