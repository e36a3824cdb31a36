"""The header block: vendor name and address from the first rows, by layout and wording."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from receiptflow.extract.layout import Row
from receiptflow.extract.numbers import find_amounts
from receiptflow.extract.text import clean, digit_share, letter_share

COMPANY_SUFFIX = re.compile(
    r"\b(SDN\.?\s*BHD|BHD|S/B|SDN|BERHAD|ENTERPRISE|ENTERPRISES|TRADING|RESTAURANT|RESTORAN|STORE|STORES|"
    r"MART|MARKET|SUPERMARKET|HYPERMARKET|SHOP|CAFE|KAFE|BAKERY|HARDWARE|STATIONERY|BOOKS?|PHARMACY|FARMASI|"
    r"INC|LLC|LTD|LIMITED|CO\.?|CORP|COMPANY|GMBH|PLC|S\.?A\.?|KEDAI|FOOD|FOODS|BISTRO|KITCHEN|GALLERY|"
    r"ELECTRICAL|MACHINERY|TRADERS?|HOLDINGS|INDUSTRIES|PETROL|STATION|SERVICES?|CENTRE|CENTER|PLT)\b"
)
LEGAL_SUFFIX = re.compile(r"\b(SDN\.?\s*BHD|BHD|S/B|BERHAD|INC|LLC|LTD|LIMITED|GMBH|PLC|CORP)\b")
_NOT_VENDOR = re.compile(
    r"TAX\s*INVOICE|INVOICE|RECEIPT|WELCOME|THANK|CASH\s*BILL|\bTEL\b|\bFAX\b|\bGST\b|REG\b|\bNO\s*:|"
    r"DATE|TIME|CASHIER|TABLE|ORDER|COPY|@|WWW|HTTP|EMAIL|\bROC\b|^\(?[A-Z]{0,3}\d{5,}"
)
ADDRESS_CUE = re.compile(
    r"\b(JALAN|JLN|TAMAN|TMN|LOT|NO\.?|LORONG|BANDAR|KAWASAN|PERINDUSTRIAN|PLAZA|BLOCK|BLOK|LEVEL|FLOOR|"
    r"BATU|KAMPUNG|KG|PUSAT|SEKSYEN|SECTION|SELANGOR|JOHOR|KUALA|LUMPUR|PENANG|PULAU|PINANG|PERAK|KEDAH|"
    r"MELAKA|PAHANG|SABAH|SARAWAK|NEGERI|SEMBILAN|TERENGGANU|KELANTAN|PERLIS|PUTRAJAYA|MALAYSIA|DARUL|EHSAN|"
    r"STREET|ST\.?|AVENUE|AVE|ROAD|RD|BLVD|BOULEVARD|SUITE|DRIVE|DR|LANE|WAY|HIGHWAY|STRASSE|RUE|MALL|"
    r"PARK|SQUARE|CITY|UTAMA|INDAH|JAYA|PERMAI|EXIT|HWY|ROUTE|PLATZ|PLACE|PLAZA|QUAI|CHEMIN|VIA|CALLE)\b|"
    r"\w(STRASSE|STR\.|WEG|GASSE)\b|\b\d{5}\b|,"
)
_STOP = re.compile(
    r"\bTEL\b|TEL\s*:|PHONE|\bFAX\b|\bGST\b|REG\b|\bROC\b|\bCO\.?\s*NO|INVOICE|RECEIPT|\bDATE\b|E-?MAIL|WWW|"
    r"HTTP|CASHIER|\bH/?P\b|\bTAX\b|BUSINESS|OPEN\s|\d{2,4}-\d{3,4}\s?\d{3,4}"
)
_REG_ONLY = re.compile(r"^\(?\s*(CO\.?\s*REG|COMPANY\s*NO|ROC)?[\s.:NO]*[A-Z]{0,3}\d{4,}[\s\-]*[A-Z]?\s*\)?$")


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
    r"(?:\s*\([A-Z]{2,4}\))?[\s\-.]*$"
)
# a registration number inside the name ends it ("MYNEWS RETAIL SB (306295-X) FKA BISON STORES SB")
_REG_CUT = re.compile(r"\s*\(\s*\d{4,}\s*-\s*[A-Z]\s*\).*$")
_LEADS_WITH_SUFFIX = re.compile(r"^\(?(CO\.?\s*\(M\)\s*)?(SDN\.?\s*BHD|BHD|S/B|BERHAD|ENTERPRISE|TRADING)\b")
_ENDS_WITH_SUFFIX = re.compile(r"(SDN\.?\s*BHD|BHD|S/B|BERHAD|ENTERPRISE|TRADING)\.?\)?$")


# OCR slips inside the legal suffixes every Malaysian company name ends with
_SUFFIX_FIXES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[S5]/[BD8O0]\b"), "S/B"),
    (re.compile(r"\bS[I1L]N(?=\.?\s*B)"), "SDN"),
    (re.compile(r"(?<=SDN)(\.?\s*)[BE8][HN][DÒO0](?=\W|$)"), r"\1BHD"),
    (re.compile(r"(?<=[A-Z]\.)1(?=\.[A-Z])"), "I"),
    (re.compile(r"\bSDN\.?\s*BH[IL1]\b"), "SDN BHD"),
    (re.compile(r"(?<=SDN)(?=BHD)"), " "),
    # a closing bracket read as I before the suffix: "(KLISDN BHD" -> "(KL) SDN BHD"
    (re.compile(r"(\([A-Z]{1,4})[I1L|]\s*(?=SDN\b|SDN\s*BHD)"), r"\1) "),
    # OCR drops the spaces printed around brackets and after a title ("CO.(M)", "MR.D.I.Y.")
    (re.compile(r"(?<=[A-Z0-9.])(?=\()"), " "),
    (re.compile(r"(?<=\))(?=[A-Z0-9])"), " "),
    (re.compile(r"\b(MR|MRS|DR|MS)\.(?=[A-Z])"), r"\1. "),
)


# OCR reads a printed space as "_" between words ("AIK_HUAT_HARDWARE"); no training label has one
_UNDERSCORE_SPACE = re.compile(r"(?<=[A-Za-z])_(?=[A-Za-z])")


def vendor_name(text: str) -> str:
    """A vendor line without its trailing registration number (``... SDN BHD (139386 X)``), with OCR
    slips in the legal suffix repaired (``S/D`` → ``S/B``, ``SIN BHD`` → ``SDN BHD``)."""
    name = clean(_UNDERSCORE_SPACE.sub(" ", text))
    for pattern, repl in _SUFFIX_FIXES:
        name = _upper_sub(pattern, repl, name)
    name = _REG_CUT.sub("", _fix_case_slips(name))
    name = _GLUED_TRADE_WORD.sub(_unglue, name)
    name = _TRAILING_JUNK.sub("", name)
    stripped = _REG_TAIL.sub("", name).strip().rstrip("-,").strip()
    return stripped if len(stripped) >= 3 else name


# OCR drops the space before/after a trade word: PINGHWAITRADING, SANYUSTATIONERYSHOP
_TRADE_WORDS = r"TRADING|ENTERPRISE|STATIONERY|HARDWARE|RESTAURANT"
_GLUED_TRADE_WORD = re.compile(rf"\b([A-Za-z]{{3,}}?)?({_TRADE_WORDS})([A-Za-z]{{3,}})?\b", re.I)


def _unglue(m: re.Match[str]) -> str:
    return " ".join(part for part in m.groups() if part)


_I_FOR_L = re.compile(r"(?<=[a-z])I(?=[a-z])|(?<=[a-z]{2})I\b")
_TRAILING_JUNK = re.compile(r"\s+[^\w\s().&'/-]+\w{0,3}$")


def _fix_case_slips(text: str) -> str:
    """``WorId`` → ``World``: a capital I inside a lower-case word is an OCR'd l."""
    return _I_FOR_L.sub("l", text)


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


def _vendor_score(row: Row, rank: int, tallest: float) -> float:
    name = vendor_name(row.text).upper()
    if len(name) < 3 or letter_share(name) < 0.5:
        return -3.0
    score = 0.0
    if LEGAL_SUFFIX.search(name):
        score += 3.0
    elif COMPANY_SUFFIX.search(name):
        score += 2.0
    if _NOT_VENDOR.search(name):
        score -= 2.0
    if ADDRESS_CUE.search(name) and not COMPANY_SUFFIX.search(name):
        score -= 1.0
    if name.startswith("(") and name.endswith(")"):
        score -= 1.5  # a bracketed note under the name
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
        return Header(None, 0.0, (), *_address(head, -1))
    first, last = _extend_up(head, idx), _extend_down(head, idx)
    vendor = vendor_name(" ".join(clean(r.text) for r in head[first : last + 1]))
    certainty = 0.9 if COMPANY_SUFFIX.search(vendor.upper()) else 0.6
    vendor_rows = tuple(head[i].index for i in range(first, last + 1))
    below = _address(rows[: max(limit, last + 8)], last)
    if below[3] < 2:
        # the name may be printed under the address ("Owned by: ..."): take the stronger block
        above = _address(head[:first], -1)
        if above[3] > below[3]:
            return Header(vendor, certainty, vendor_rows, *above, vendor_margin=margin)
    return Header(vendor, certainty, vendor_rows, *below, vendor_margin=margin)


def _extend_up(head: Sequence[Row], first: int) -> int:
    """First row of the name: a row that reads as a continuation (``SDN BHD``, ``& TEA LEAF ...``,
    ``ALAM) SDN BHD``, nothing but trade words) is joined to the row above it."""
    while first > 0 and _joinable(head[first - 1]):
        name = vendor_name(head[first].text).upper()
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
    they start with one, or when it ends with ``&`` or an open bracket."""
    first = last
    while last + 1 < len(head) and last - first < 2:
        name = vendor_name(" ".join(r.text for r in head[first : last + 1])).upper()
        nxt = vendor_name(head[last + 1].text).upper()
        if _ENDS_WITH_SUFFIX.search(name) and not name.endswith("&"):
            break
        unbalanced = name.count("(") > name.count(")")
        if not (
            name.endswith("&")
            or ((_LEADS_WITH_SUFFIX.match(nxt) or unbalanced) and _joinable(head[last + 1]))
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


def _joinable(row: Row) -> bool:
    text = vendor_name(row.text).upper()
    return letter_share(text) >= 0.6 and not _NOT_VENDOR.search(text) and not _STOP.search(text)


_BRANCH_CODE = re.compile(
    r"^\d{3,4}\s?-\s?[A-Z]{2}|^\d{4}\s[A-Z]{3}"
)  # "1181-TMN SRI SINAR" under the address
_ADDRESS_SKIP = re.compile(r"\b(BR|CO|ROC|REG|COMPANY|BUSINESS)\.?\s*(REG\.?\s*)?NO\b|^\(.*\)$")
# a company registration number ("CO KEG NO : 210038-K", "(1234567-A)"), OCR slips in its label aside
_REG_NUMBER = re.compile(r"(?<![\w-])\d{5,8}\s?-\s?[A-Z]\b(?!\s*\w)")
_ADDRESS_END = re.compile(r"\b(DOC|DOCUMENT|INVOICE|RECEIPT|BILL|CHECK|ORDER|SLIP|TABLE|CASHIER)\b")


def _address(head: Sequence[Row], after: int) -> tuple[str | None, float, tuple[int, ...], int]:
    """Rows after the vendor up to the first contact/tax/document line; the address ends on its last
    row with an address cue (a branch name printed under it is not part of it); registration numbers
    before it are passed over."""
    parts: list[tuple[Row, bool]] = []
    for row in head[after + 1 :]:
        text = clean(row.text)
        upper = text.upper()
        cue = bool(ADDRESS_CUE.search(upper) or (parts and _BRANCH_CODE.match(upper)))
        if not parts and (
            _REG_ONLY.match(upper)
            or _ADDRESS_SKIP.search(upper)
            or _REG_NUMBER.search(upper)
            or (COMPANY_SUFFIX.search(upper) and not cue)
        ):
            continue
        if (
            _STOP.search(upper)
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
    text = _GLUED_STREET.sub(" ", _PART_DOT.sub(",", _fix_case_slips(text)))
    return _SPACE_BEFORE_BRACKET.sub(" ", text)
