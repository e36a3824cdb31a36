"""The header block: vendor name and address from the first rows, by layout and wording."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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
from receiptflow.extract.locales import postal_line
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
    r"[\s\-]*\(?\s*(?:CO(?:MPANY)?\.?\s*(?:REG\.?|NO\.?)\s*(?:NO\.?)?\s*[:.]?\s*)?(?<![#\d])[A-Z]{0,2}\d{4,}[\s\-·.]*[A-Z]?\s*\)?"
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


@lru_cache(maxsize=4096)
def vendor_name(text: str) -> str:
    """A vendor line without its trailing registration number (``... SDN BHD (139386 X)``), stamps or
    OCR noise after the legal suffix, with OCR slips in the suffix (``S/D`` → ``S/B``, ``SIN BHD`` →
    ``SDN BHD``) and in the spacing (``CASH &CARRY``, ``28S/B``, ``PINGHWAITRADING``) repaired."""
    name = clean(_STAMP.sub(" ", _STRAY_DOT.sub(" ", _UNDERSCORE_SPACE.sub(" ", text))))
    name = _WELCOME.sub("", name)
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


_TRAILING_JUNK = re.compile(r"\s+(?!#\d)[^\w\s().&'/-]+\w{0,3}$")  # (a store number "#337" is no junk)


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

# Legal forms of companies in many countries (the legal-entity line: evidence of the header, not
# always the name people know the shop by)
LEGAL_FORM = re.compile(
    r"(?<![^\W\d_])(?:GMBH|G\.M\.B\.H\.?|E\.\s?K\.|S\.\s?A\.|S\.\s?L\.|S\.\s?A\.\s?S\.?|SARL|S\.\s?[AÀ]\s?R\.\s?L\.?|"
    r"S\.\s?R\.\s?L\.|SRL|S\.\s?P\.\s?A\.|B\.\s?V\.|N\.\s?V\.|LDA|SP\.?\s?Z\s?O\.?\s?O\.?|S\.\s?R\.\s?O\.?|"
    r"A\.\s?S\.|A/S|APS|OYJ|D\.\s?O\.\s?O\.?|KFT|ZRT|OÜ|UAB|PTY|PTE|PVT|LLP|PLT|LTDA|"
    r"GENOSSENSCHAFT|SOC\.?\s?COOP\.?|ООО|ОАО|ЗАО|ПАО|ИП|ТОВ|ЕООД|ООД|株式会社|有限公司)(?![^\W\d_])"
    # two-letter forms only where they end a name of words (not ", NV", the state of Nevada)
    r"|(?<=[^\W\d_]{3}\s)(?:AG|KG|UG|SA|SL|SAS|SPA|BV|NV|AS|AB|OY|ASA|A\.?\s?Ş\.?|АО|АД|ЕТ)\.?$",
    re.I,
)
# a sentence rather than a name: a slogan ("Life is burritaful.", "wunschlos glücklich?", "Fresh
# choice for you", "LET THE MEMORIES BEGIN") — it ends like a sentence or speaks to the reader
# (words that are also common in names or codes are left out: MY, U, ES, VI)
_PRONOUN = (
    r"YOU|YOUR|YOU'RE|WE|OUR|WE'RE|US|IT'S|IS|ARE|I'M|THE BEST|"
    r"DU|DEIN|IHR|WIR|UNS|UNSER|SIE|IST|"
    r"VOUS|VOTRE|NOUS|NOTRE|EST|"
    r"USTED|NOSOTROS|NUESTRO|NUESTRA|"
    r"VOI|NOI|NOSTRO|NOSTRA|"
    r"JIJ|UW|WIJ|ONS|"
    r"VOCÊ|NOSSO|NOSSA|"
    r"WY|NASZ|NASZA|"
    r"VY|NÁŠ|NAŠE|"
    r"SIZ|BIZ|"
    r"VÅR|VORES"
)
_SLOGAN = re.compile(
    rf"(?<![^\W\d_])(?:{_PRONOUN})(?![^\W\d_']).*\s|\s(?:{_PRONOUN})(?![^\W\d_'])"
    r"|^[^\d]*\s[^\d]*[^\W\d_]{3}[.!?]$"
    r"|^(?:LET|ENJOY|VISIT|DISCOVER|SINCE|SEIT|DEPUIS|DESDE)\b",
    re.I,
)
# a label and its value ("Server: BAR Station: 3", "STORE:03819", "Station:"), not a name
_KEY_VALUE = re.compile(r":\s*$|:.*:|:\s?\d")
# what a row of the header says when it is not the name: the kind of order, a tax or company number,
# the kind of document, a greeting, a department; in the languages receipts are printed in
_NOT_NAME = re.compile(
    r"(?<![^\W\d_])(?:DINE\s?IN|EAT\s?IN|TAKE\s?(?:OUT|AWAY)|TO\s?GO|SERVER|GUEST|STATION|TERMINAL|"
    r"STORE\s?(?:NUMBER|NO\b|NR\b|#)|MANAGER|DIRECTOR|SUPERVISOR|ASSOCIATE|OPERATOR|CLERK|CAST MEMBER|"
    r"C\.?\s?I\.?\s?F\.?|N\.?\s?I\.?\s?F\.?|P\.?\s?IVA|PARTITA IVA|VAT\s?(?:NO|REG|NR)|ABN|UST-?ID\w*|"
    r"STEUER-?NR|"
    r"ST\.?-?NR|NIP|IČO|DIČ|ICO|DIC|VKN|GSTIN|ORG\.?\s?NR|KVK|CVR|SIRET|SIREN|RCS|ИНН|ЕИК|ЄДРПОУ|"
    r"KASSENBON|BELEG|RECHNUNG|QUITTUNG|KUNDENBELEG|FACTURA|FACTURE|FATTURA|SCONTRINO|TICKET|PARAGON|"
    r"FISKALNY|ÚČTENKA|UCTENKA|FİŞ|FATURA|KVITTO|KVITTERING|CHEK|ЧЕК|ФИСКАЛЕН|TAX INVOICE|"
    r"WILLKOMMEN|BIENVENUE|BIENVENIDOS?|BENVENUTI|WELKOM|BEM-?VINDOS?|WITAMY|VÍTEJTE|HOŞ GELDİNİZ|"
    r"VÄLKOMMEN|VELKOMMEN|SELAMAT DATANG|ДОБРО ПОЖАЛОВАТЬ|DANKE|MERCI|GRACIAS|GRAZIE|BEDANKT|OBRIGAD[OA]|"
    r"DZIĘKUJEMY|DĚKUJEME|TEŞEKKÜR\w*|TACK|TAKK|TERIMA KASIH|СПАСИБО|ДЯКУЄМО|БЛАГОДАРИМ|ขอบคุณ)"
    r"(?![^\W\d_])",
    re.I,
)
# words a department, category or till prints on its own ("PHARMACY", "FUEL", "GROCERY")
_GENERIC_ROW = re.compile(
    r"^(?:(?:THE|AND|&|RESTAURANT|RESTAURANTE|RESTORAN|PHARMACY|FUEL|GAS|GROCERY|GROCERIES|DELI|BAKERY|CAFE|"
    r"STORE|SHOP|MARKET|SUPERMARKET|BAR|GRILL|KITCHEN|FOOD|FOODS|PIZZERIA|HOTEL|SERVICE|SERVICES|STATION)"
    r"[\s.,&-]*)+$"
)
_WELCOME = re.compile(
    r"^(?:WELCOME\s?TO(?:\s?THE)?|WILLKOMMEN\s?(?:BEI|IM|IN\s?DER)?|BIENVENUE\s?(?:CHEZ|À|A)?|"
    r"BIENVENIDOS?\s?(?:A|AL)?|BENVENUTI\s?(?:DA|AL)?|WELKOM\s?(?:BIJ)?)\s+(?=\S{3})",
    re.I,
)


# a shopping centre or station names where the shop is, not the shop ("The Trafford Centre
# Manchester", "Tega Cay Village Shopping Center")
_PLACE_WORD = re.compile(r"\b(CENTRE|CENTER)\b")
# the head of the item table: two or more column names ("QTY ITEM PRICE", "AANT OMSCHRIJVING PRIJS")
_COLUMN = re.compile(
    r"(?<![^\W\d_])(?:QTY|QUANTITY|DESCRIPTION|PRICE|AMOUNT|ITEM|ITEMS|AANT|AANTAL|OMSCHRIJVING|PRIJS|"
    r"BEDRAG|MENGE|ARTIKEL|BEZEICHNUNG|PREIS|BETRAG|CANT|CANTIDAD|DESCRIPCI[OÓ]N|PRECIO|IMPORTE|QT[EÉ]|"
    r"D[EÉ]SIGNATION|PRIX|MONTANT|QT[AÀ]|DESCRIZIONE|PREZZO|IMPORTO|ILO[SŚ][CĆ]|NAZWA|CENA|WARTO[SŚ][CĆ]|"
    r"MNO[ZŽ]STV[IÍ]|POPIS|CENA|ADET|A[CÇ]IKLAMA|F[İI]YAT|TUTAR|ANTAL|BESKRIVNING|PRIS|BELOPP|KOL|"
    r"КОЛ|НАИМЕНОВАНИЕ|ЦЕНА|СУММА)(?![^\W\d_])",
    re.I,
)


def legal_entity(name: str, row_text: str) -> bool:
    """True when a name (as ``vendor_name`` cleans it, upper case) carries a legal form; not a state
    code before a ZIP ("LAS VEGAS NV 89123")."""
    return bool(LEGAL_SUFFIX.search(name) or (LEGAL_FORM.search(name) and not postal_line(row_text)))


# a street address: a house number (three digits or more, or a range) before words
_HOUSE_NUMBER = re.compile(r"^\s*(?:\d{3,}|\d+-\d+)\s+[^\W\d_]")


@lru_cache(maxsize=4096)
def not_name_penalty(row_text: str, name: str, *, alone: bool = True) -> float:
    """How strongly a header row reads as something other than the vendor's name: a slogan, a label
    and its value, a date or time, a department word alone, a tax number, a greeting, a document
    title (0 for a plausible name). With ``alone`` False (a row joined to a name) a row of trade words
    only ("RESTAURANT") is fine."""
    if legal_entity(name, row_text):
        return 0.0
    penalty = 0.0
    if _SLOGAN.search(row_text.strip()):
        penalty += 2.5
    if _KEY_VALUE.search(row_text):
        penalty += 2.5
    if _NOT_NAME.search(name):
        penalty += 2.0
    if postal_line(row_text) or _HOUSE_NUMBER.match(row_text):
        penalty += 1.5
    if len(_COLUMN.findall(row_text)) >= 2:
        penalty += 2.0
    if alone and _GENERIC_ROW.match(name.strip()):
        penalty += 2.0
    if _NUMERIC_DATE.search(row_text) or _CLOCK.search(row_text):
        penalty += 2.0
    return penalty


_CLOCK = re.compile(r"(?<!\d)(?:[01]?\d|2[0-3]):[0-5]\d(?!\d)")
_NUMERIC_DATE = re.compile(r"(?<!\d)\d{1,4}([/.\-])\d{1,2}\1\d{2,4}(?!\d)")


def _vendor_score(row: Row, rank: int, tallest: float) -> float:
    name = vendor_name(row.text).upper()
    if len(name) < 3 or letter_share(name) < 0.5:
        return -3.0
    score = 0.0
    if legal_entity(name, row.text):
        score += 3.0
    elif COMPANY_SUFFIX.search(_PLACE_WORD.sub(" ", name)):
        score += 2.0
    score -= not_name_penalty(row.text, name)
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


# a brand printed above the legal-entity line, at least as large, is the name the shop goes by
# ("Biedronka" over "JERONIMO MARTINS POLSKA S.A."); one that shares a word with it ("COSTCO" over
# "Costco Wholesale Australia Pty Ltd") may be a little smaller
BRAND_HEIGHT_RATIO = 1.0
SHARED_WORD_RATIO = 0.9
# Malaysian tax invoices print the supplier's registered name, and that is the name the SROIE labels
# (and Malaysian expense records) use even under a larger brand ("MYDIN" over "TRI SHAAS SDN BHD":
# 11 of 350 training text-line receipts and 6 of 105 training scans would change for the worse)
_REGISTERED_NAME = re.compile(r"\b(SDN\.?\s*BHD|BHD|S/B|BERHAD|SB\.?$)", re.I)


def _brand_above(head: Sequence[Row], first: int, last: int) -> int | None:
    """The row of a brand printed above the chosen legal-entity line (``expert`` over
    ``TV-HIFI-ELEKTRO GMBH``), larger than it or sharing a word with it; None when the name is no
    legal-entity line or no such row is printed above it."""
    name = vendor_name(" ".join(r.text for r in head[first : last + 1])).upper()
    joined = " ".join(r.text for r in head[first : last + 1])
    if not legal_entity(name, joined) or _REGISTERED_NAME.search(name):
        return None
    height = min(r.height for r in head[first : last + 1])
    words = set(re.findall(r"[^\W\d_]{3,}", name))
    for j in range(first):
        shared = bool(words & set(re.findall(r"[^\W\d_]{3,}", vendor_name(head[j].text).upper())))
        ratio = SHARED_WORD_RATIO if shared else BRAND_HEIGHT_RATIO
        if head[j].height >= ratio * height and _plausible_name(head[j]):
            # the topmost: the logo over a line naming the owner ("Aral" over "Tankstelle Müller" over
            # "Inh. Peter Müller e.K."), the brand over the mall it is in ("Pizza Hut" over "SM Masinag")
            return j
    return None


def _plausible_name(row: Row) -> bool:
    name = vendor_name(row.text).upper()
    return (
        len(re.sub(r"\W", "", name)) >= 3
        and letter_share(name) >= 0.6
        and not_name_penalty(row.text, name) == 0
        and not NOT_VENDOR.search(name)
        and not CONTACT_LINE.search(name)
        and not ADDRESS_CUE.search(name)
        and not _AMOUNT.search(name)
    )


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
    brand = _brand_above(head, first, last)
    if brand is not None:
        first = last = brand
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


# a plain row much smaller than the name under it is a tagline or a place ("ROSS" over "DRESS FOR
# LESS", "KOHL'S" over "Layton"), not the rest of the name (training scans and text lines unchanged;
# WildReceipt dev folds, exact company: +5 of 195 photos, +15 −2 of 195 text-line receipts)
PLAIN_HEIGHT_RATIO = 0.7


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
        if nxt.split(" ", 1)[0] == name.split(" ", 1)[0]:
            break  # the brand again with its branch ("Woolworths" over "Woolworths Town Hall")
        unbalanced = name.count("(") > name.count(")")
        plain = (
            not LEGAL_SUFFIX.search(name)
            and _plain(nxt)
            and not legal_entity(nxt, head[last + 1].text)
            and head[last + 1].height >= PLAIN_HEIGHT_RATIO * head[first].height
        )
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
    words = re.findall(r"[^\W\d_][^\W\d_'/]*", name)
    return sum(not _GENERIC_WORD.match(w) for w in words)


def _plain(name: str) -> bool:
    """Words only: no digits, address cue or contact wording. Under a name without a legal suffix such
    a row belongs to the name in the training labels (6 receipts joined, 2 not; +2 text-line receipts)."""
    return not re.search(r"\d", name) and not ADDRESS_CUE.search(name) and not CONTACT_LINE.search(name)


def _joinable(row: Row) -> bool:
    text = vendor_name(row.text).upper()
    return (
        letter_share(text) >= 0.6
        and not NOT_VENDOR.search(text)
        and not CONTACT_LINE.search(text)
        and not not_name_penalty(row.text, text, alone=False)
    )
