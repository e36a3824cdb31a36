"""The receipt's own date conventions: day/month order and calendar era, from evidence on the receipt.

Each kind of evidence votes for month-first (positive) or day-first (negative); the sum decides and
its size is the certainty. Strongest is another date on the receipt that only reads one way
(``25/12/2018``); then the currency, the phone-number and postcode formats, the language of the
receipt's words and its script. With no evidence the order is day-first, as in most of the world.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from receiptflow.extract import cue_table
from receiptflow.money import mend_dollar

# Votes, positive for month-first. A date that only reads one way outweighs everything else.
_UNAMBIGUOUS_DATE = 3.0
_CURRENCY = 1.5
_PHONE = 1.5
_STATE_ZIP = 2.0
_POSTCODE = 1.0
_WORDS = 1.0
_CLOCK = 0.5
_SCRIPT = 2.0

# Currencies of countries that print dates month-first (the US; the Philippines) and of countries that
# print them day-first. A bare "$" is the US dollar unless a prefix says otherwise (S$, A$, NZ$, HK$,
# R$, MX$; C$/CA$ are left out: Canadian receipts print both orders).
_MONTH_FIRST_CURRENCY = re.compile(r"US\$|(?<![A-Za-z$])\$|₱|(?<![A-Za-z])(?:USD|PHP)(?![a-z])")
# codes may be glued to the amount or the label ("16.30EUR", "TOTALEEURO"): bounded by lower-case
# letters only
_DAY_FIRST_CURRENCY = re.compile(
    r"€|£|₹|฿|₺|₽|₴|₫|₩|บาท|zł|Kč|S\$|A\$|NZ\$|HK\$|R\$|MX\$|(?<![A-Za-z])(?:RM|Rs\.?|Rp\.?)\s?\d|"
    r"(?<![A-Za-z])(?:EURO?|GBP|MYR|INR|THB|PLN|CZK|TRY|TL|SEK|NOK|DKK|CHF|HUF|Ft|RON|lei|RUB|UAH|BGN|AED|"
    r"SAR|SGD|AUD|NZD|HKD|BRL|IDR|VND|MXN|ZAR)(?![a-z])|руб|грн|(?<![^\W\d_])лв"
)
_CANADA = re.compile(r"\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b|\bCAD\b|C\$|\b(?:HST|PST|QST)\b|\bCANADA\b")
# North American numbering plan: (610) 286-5980, 408-248-9440, +1 281 251 7033, 184) 513-9420 with
# the bracket lost (area and exchange codes never start with 0 or 1, which rules out most other
# countries' formats)
_NANP_PHONE = re.compile(
    r"(?<![\d+])(?:\+?1[\s.\-]?)?(?:\(?[2-9]\d{2}\)|[2-9]\d{2})[\s.\-]?[2-9]\d{2}[\s.\-]\d{4}(?!\d)"
)
_INTERNATIONAL_PHONE = re.compile(r"(?<![\w+])\+(?!1\b|1[\s\-(.])(?:[2-9]\d{0,2})[\s\-(.]?\d")
# (without ID: "MEMBER ID 12345" is no address in Idaho)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
# "Santa Clara, CA 95050", "Houston,TX77070", "Boston,Ma02114", "NewJersey 08401"; not a company
# number ("CO. 65351-M")
_STATE_ZIP_RE = re.compile(
    rf"(?<![A-Za-z])(?:{_US_STATES})[.,]?\s?\d{{5}}(?:-\d{{4}})?(?![\w\-])"
    rf"|,\s?(?i:{_US_STATES})\s?\d{{5}}(?![\w\-])"
    r"|(?i:CALIFORNIA|NEW\s?YORK|NEW\s?JERSEY|TEXAS|FLORIDA|ILLINOIS|PENNSYLVANIA|MASSACHUSETTS|VIRGINIA)"
    r",?\s?\d{5}(?!\d)|\bU\.?S\.?A\b|UNITED STATES"
)
# a US town and state ending a line without its ZIP ("Springville, UT", "BORDENTOWN,NJ")
_STATE_LINE = re.compile(rf"[^\W\d_]{{3,}},\s?(?:{_US_STATES})\.?\s*$")
# an Australian state and postcode ("LEICHHARDT NSW 2040", "Casula, NSW 2170"): day-first, and the "$"
# beside it is the Australian dollar
# ... or an Australian Business Number ("ABN: 12 097 860 887")
_AU_STATE_POSTCODE = re.compile(
    r"(?<![A-Za-z])(?:NSW|VIC|QLD|TAS|ACT|SA|WA|NT)[.,]?\s?\d{4}(?![\w\-])"
    r"|(?<![A-Za-z])ABN(?:\s?NO)?[.:]?\s?\d{2}\s?\d{3}\s?\d{3}\s?\d{3}(?!\d)",
    re.I,
)
_US_DOLLAR = re.compile(r"US\$|(?<![A-Za-z])USD(?![a-z])")
_STREET_END = re.compile(
    r"\b(ST|STREET|AVE|AVENUE|RD|ROAD|BLVD|DR|DRIVE|LN|LANE|WAY|HWY|HIGHWAY|PKWY|CT|PL|SUITE|STE|FWY)\.?$",
    re.I,
)
# postcodes written before the town, as in continental Europe and Malaysia ("80331 München",
# "75008 PARIS", "50470 Kuala Lumpur"), Dutch ("9405 CC ASSEN"), Polish ("00-950 Warszawa"), British
# ("L24 9TT")
_POSTCODE_TOWN = re.compile(
    r"(?<![\d\-])(?:\d{5}|\d{2}-\d{3}|\d{4}\s?[A-Z]{2})\s+[^\W\d_][^\W\d_\-' ]+(?:[\s\-][^\W\d_]+)*$"
)
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}\b")
# distinctive receipt words of day-first languages (and of English outside the US: VAT, GST)
# (OCR and transcriptions glue words: "IVAINCLUIDO", "GSTNO", "RestaurantsSdnBhd", so a word may be
# followed by upper-case letters and digits)
_DAY_FIRST_WORDS = re.compile(
    r"(?<![^\W\d_])(?i:MWST|UST|STEUER|SUMME|GESAMT|BARGELD|RÜCKGELD|KASSENBON|QUITTUNG|DATUM|UHRZEIT|"
    r"TVA|TTC|ESP[EÈ]CES|RENDU|MONTANT|FACTURE|"
    r"IVA|IMPORTE|EFECTIVO|FECHA|FACTURA|C\.?I\.?F|"
    r"SCONTRINO|CONTANTI|TOTALE|CORRISPETTIVO|"
    r"BTW|TOTAAL|KASSABON|BEDRAG|WISSELGELD|"
    r"NIF|TROCO|FATURA|DINHEIRO|"
    r"PTU|PARAGON|FISKALNY|RESZTA|GOT[OÓ]WKA|NIP|"
    r"DPH|[UÚ][CČ]TENKA|CELKEM|HOTOVOST|DI[CČ]|"
    r"KDV|TOPLAM|NAK[Iİ]T|TAR[Iİ]H|"
    r"MOMS|MVA|KVITTO|KVITTERING|SUMMA|TOTALT|KONTANT|V[AÄ]XEL|"
    r"TARIKH|JUMLAH|TUNAI|CUKAI|JALAN|TAMAN|PPN|KEMBALIAN|"
    r"VAT|GST|SST|ABN|ИНН|ПДВ|НДС|ДДС|ИТОГО|СУМА|СУММА|ОБЩО|"
    r"MALAYSIA|SINGAPORE|DUBAI|INDIA|AUSTRALIA|LONDON|DEUTSCHLAND|FRANCE|ESPA[ÑN]A|ITALIA)(?![a-z])"
    r"|(?i:SDN\.?\s?BHD|(?<![^\W\d_])S/B(?![^\W\d_]))"
)
# a US guest check's guest count ("GST 2", "GST: 12") is no Goods and Services Tax
_GUEST_COUNT = re.compile(r"(?<![^\W\d_])GST\s?:?\s?\d{1,2}(?![\d.,%])", re.I)
_MONTH_FIRST_WORDS = re.compile(r"\bSALES\s?TAX\b|\bTAX\s?EXEMPT\b|\bZIP\b", re.I)
# a 12-hour clock ("7:42 PM"): US custom, but also printed in day-first countries (Malaysia, India, the
# UK), so it only decides a receipt that carries no other evidence
_TWELVE_HOUR = re.compile(r"(?<!\d)[01]?\d[:.][0-5]\d(?::[0-5]\d)?\s?[AP]\.?M\b", re.I)
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_ROC = re.compile(r"統一發票|發票|民國|民国|NT\$|\bTWD\b")
_JAPANESE_ERA = re.compile(r"令和|平成")
_BUDDHIST = re.compile(r"[\u0e00-\u0e7f]|\bTHB\b|฿|บาท|พ\.ศ\.")
# numeric A/B/Y dates (not inside codes): the parts tell the order when one of them exceeds 12
_NUMERIC_DATE = re.compile(
    r"(?<![\w\-/.])(?P<a>\d{1,2})(?P<s>[/\-.])(?P<b>\d{1,2})(?P=s)(?:19|20|25)?\d{2}(?![\d\-/.])"
)


@dataclass(frozen=True)
class DateLocale:
    """How this receipt prints dates: month before day or not, the calendar era short years count in
    (``buddhist``, ``roc``, ``japanese`` or None) and how sure the order is (0.5 = a guess)."""

    month_first: bool = False
    era: str | None = None
    certainty: float = 0.5
    votes: dict[str, float] = field(default_factory=dict)


def _vote(votes: dict[str, float], name: str, value: float, found: bool) -> None:
    if found:
        votes[name] = value


def _date_votes(texts: Sequence[str]) -> float:
    score = 0.0
    for text in texts:
        for m in _NUMERIC_DATE.finditer(text):
            a, b = int(m.group("a")), int(m.group("b"))
            if 12 < a <= 31 and 1 <= b <= 12:
                score -= _UNAMBIGUOUS_DATE
            elif 12 < b <= 31 and 1 <= a <= 12:
                score += _UNAMBIGUOUS_DATE
    return max(-1.5 * _UNAMBIGUOUS_DATE, min(1.5 * _UNAMBIGUOUS_DATE, score))


def postal_line(text: str) -> bool:
    """True when ``text`` reads as a line of a postal address: a US state and ZIP, a postcode before
    the town, a British postcode."""
    return bool(
        _STATE_ZIP_RE.search(text)
        or _UK_POSTCODE.search(text)
        or ((m := _POSTCODE_TOWN.search(text.strip())) and not _STREET_END.search(m.group(0)))
    )


def _postcode_town(texts: Sequence[str]) -> bool:
    for text in texts:
        m = _POSTCODE_TOWN.search(text.strip())
        if m and not _STREET_END.search(m.group(0)):
            return True
    return bool(any(_UK_POSTCODE.search(t) for t in texts))


# languages of the cue table whose countries print dates day-first (English is left open)
DAY_FIRST_LANGUAGES = frozenset(
    ("de", "fr", "es", "it", "nl", "pt", "pl", "cs", "tr", "sv", "da", "no", "fi", "hu", "ms", "id", "ru")
    + ("uk", "bg", "th")
)


def _day_first_language(texts: Sequence[str]) -> bool:
    """True when the receipt's cue words are mostly of a day-first language (more of them than English
    ones: "TOTAL" alone is English, French, Spanish and more)."""
    counts = cue_table.languages(texts)
    english = counts.get("en", 0)
    return any(n > english for lang, n in counts.items() if lang in DAY_FIRST_LANGUAGES)


def infer_date_locale(texts: Sequence[str]) -> DateLocale:
    """The date conventions of the receipt whose rows read ``texts``."""
    joined = "\n".join(texts)
    votes: dict[str, float] = {}
    _vote(votes, "dates", _date_votes(texts), True)
    month_first_money = bool(_MONTH_FIRST_CURRENCY.search(mend_dollar(joined)))
    day_first_money = bool(_DAY_FIRST_CURRENCY.search(joined))
    canada = bool(_CANADA.search(joined))
    if month_first_money != day_first_money and not canada:
        votes["currency"] = _CURRENCY if month_first_money else -_CURRENCY
    _vote(votes, "phone", _PHONE, bool(_NANP_PHONE.search(joined)) and not canada)
    if "phone" not in votes:
        _vote(votes, "phone", -_PHONE / 2, bool(_INTERNATIONAL_PHONE.search(joined)))
    _vote(votes, "state_zip", _STATE_ZIP, bool(_STATE_ZIP_RE.search(joined)))
    if "state_zip" not in votes:
        _vote(votes, "state_zip", _STATE_ZIP / 2, any(_STATE_LINE.search(t) for t in texts))
    au = bool(_AU_STATE_POSTCODE.search(joined))
    if au and votes.get("currency", 0.0) > 0 and not _US_DOLLAR.search(joined):
        del votes["currency"]  # the Australian dollar
    _vote(votes, "postcode", -_POSTCODE, "state_zip" not in votes and (au or _postcode_town(texts)))
    words = (
        bool(_DAY_FIRST_WORDS.search(_GUEST_COUNT.sub(" ", joined))) or _day_first_language(texts),
        bool(_MONTH_FIRST_WORDS.search(joined)),
    )
    if words[0] != words[1]:
        votes["words"] = -_WORDS if words[0] else _WORDS
    _vote(votes, "clock", _CLOCK, bool(_TWELVE_HOUR.search(joined)))
    _vote(votes, "script", -_SCRIPT, bool(_THAI.search(joined) or _CYRILLIC.search(joined)))
    votes = {k: v for k, v in votes.items() if v}
    total = sum(votes.values())
    era = None
    if _BUDDHIST.search(joined):
        era = "buddhist"
    elif _ROC.search(joined):
        era = "roc"
    elif _KANA.search(joined) or _JAPANESE_ERA.search(joined):
        era = "japanese"
    certainty = 0.5 + min(abs(total), 3.0) / 6.0
    return DateLocale(month_first=total > 0, era=era, certainty=round(certainty, 3), votes=votes)


# a US state and ZIP code ("Springfield, IL 62701")
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|"
    "ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_US_ADDRESS = re.compile(rf"\b(?:{_US_STATES})[.,]?\s+\d{{5}}(?:-\d{{4}})?\b")
# The currency of a receipt that prints none, from words only its country's receipts print: tax and
# company-number labels, fiscal titles, the script. Checked in order; the first that matches names it.
_COUNTRY_CURRENCY: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<![^\W\d_])(?:GSTIN|CGST|SGST|IGST)(?![^\W\d_])", re.I), "INR"),
    (
        re.compile(
            r"SDN\.?\s*BHD|\bS/B\b|\bGST\b|JALAN|MALAYSIA|SELANGOR|JOHOR|KUALA LUMPUR|\bSST\b|TAMAN", re.I
        ),
        "MYR",
    ),
    (re.compile(r"(?<![^\W\d_])(?:TOPKDV|KDV|VKN|TOPLAM|FİŞ|NAKİT)(?![^\W\d_])|[İıŞşĞğ]"), "TRY"),
    (re.compile(r"(?<![^\W\d_])(?:ПДВ|ЄДРПОУ|ГОТІВКА|РЕШТА|СУМА)(?![^\W\d_])|[ЇїЄєҐґІі]"), "UAH"),
    (re.compile(r"(?<![^\W\d_])(?:ДДС|ЕИК|ОБЩО|РЕСТО|ЕООД|БОН)(?![^\W\d_])", re.I), "BGN"),
    (re.compile(r"(?<![^\W\d_])(?:НДС|ИТОГО|ИНН|ОФД)(?![^\W\d_])", re.I), "RUB"),
    (_THAI, "THB"),
    (re.compile(r"(?<![^\W\d_])(?:PTU|PARAGON\s+FISKALNY|NIP)(?![^\W\d_])", re.I), "PLN"),
    (re.compile(r"(?<![^\W\d_])(?:CELKEM|ÚČTENKA|UCTENKA|DĚKUJEME)(?![^\W\d_])", re.I), "CZK"),
    (re.compile(r"(?<![^\W\d_])(?:DANKORT|I\s+ALT|HERAF\s+MOMS)(?![^\W\d_])", re.I), "DKK"),
    (re.compile(r"(?<![^\W\d_])(?:ATT\s+BETALA|KVITTO)(?![^\W\d_])", re.I), "SEK"),
    (re.compile(r"(?<![^\W\d_])(?:MVA|Å\s+BETALE|BANKAXEPT)(?![^\W\d_])", re.I), "NOK"),
    # a UK postcode on a receipt that names VAT
    (re.compile(r"(?s)(?=.*\bVAT\b).*\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b"), "GBP"),
    # the euro area: German, Dutch, Italian, Spanish, Portuguese, French tax and company words (a Swiss
    # receipt with MwSt prints CHF, which is then read)
    (
        re.compile(
            r"(?<![^\W\d_])(?:MWST|UST|KASSENBON|GMBH|BTW|P\.?\s?IVA|C\.?I\.?F|NIF|TVA|TTC|SIRET|"
            r"SCONTRINO|FATURA|FACTURA\s+SIMPLIFICADA)(?![^\W\d_])",
            re.I,
        ),
        "EUR",
    ),
    (_US_ADDRESS, "USD"),
)


# "$" is the sign of many dollars and pesos: the country's words tell which (checked in order)
_DOLLAR_COUNTRY: tuple[tuple[re.Pattern[str], str], ...] = (
    # a US state and ZIP code first: a US receipt keeps its dollar whatever else it prints
    (_US_ADDRESS, "USD"),
    (re.compile(r"\bRFC\b|S\.?\s?A\.? DE C\.?\s?V\.?|\bCDMX\b|M[EÉ]XICO", re.I), "MXN"),
    (
        re.compile(
            r"\b(?:HST|GST/HST|QST|TPS|TVQ)\b|CANADA|"
            r"\b(?:ON|BC|AB|QC|NS|NB|MB|SK|NL|PE)\s+[A-Z]\d[A-Z]\s?\d[A-Z]\d\b"
        ),
        "CAD",
    ),
    (re.compile(r"\bABN\b|AUSTRALIA|\b(?:NSW|VIC|QLD|TAS|ACT)\s+\d{4}\b", re.I), "AUD"),
    (re.compile(r"NEW ZEALAND|AUCKLAND|WELLINGTON|CHRISTCHURCH", re.I), "NZD"),
    (re.compile(r"SINGAPORE|\bUEN\b", re.I), "SGD"),
    (re.compile(r"HONG KONG", re.I), "HKD"),
)


def dollar_country(texts: Sequence[str]) -> str | None:
    """Which dollar (or peso) a receipt that prints a bare ``$`` means, from its country's words (``ABN``
    → AUD, ``RFC`` → MXN, ``HST`` or a Canadian postcode → CAD …); None when nothing names one."""
    joined = "\n".join(texts)
    return next((code for pattern, code in _DOLLAR_COUNTRY if pattern.search(joined)), None)


def country_currency(texts: Sequence[str]) -> str | None:
    """The currency the receipt's country uses, from its words (``KDV`` → TRY, ``ПДВ`` → UAH,
    ``GSTIN`` → INR, Thai script → THB, ``SDN BHD`` → MYR …), for a receipt that prints no currency."""
    joined = "\n".join(texts)
    return next((code for pattern, code in _COUNTRY_CURRENCY if pattern.search(joined)), None)
