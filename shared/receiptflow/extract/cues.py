"""Wording cues shared by the header readers: legal and trade suffixes, address words, contact lines."""

from __future__ import annotations

import re

# PERNIAGAAN ("business") and SYARIKAT ("company") open Malay trade names: 24 training labels
COMPANY_SUFFIX = re.compile(
    r"\b(SDN\.?\s*BHD|BHD|S/B|SDN|BERHAD|ENTERPRISE|ENTERPRISES|TRADING|RESTAURANT|RESTORAN|STORE|STORES|"
    r"MART|MARKET|SUPERMARKET|HYPERMARKET|SHOP|CAFE|KAFE|BAKERY|HARDWARE|STATIONERY|BOOK(?:S|STORES?)?|"
    r"PHARMACY|FARMASI|INC|LLC|LTD|LIMITED|CO\.?|CORP|COMPANY|GMBH|PLC|S\.?A\.?|KEDAI|FOOD|FOODS|BISTRO|"
    r"KITCHEN|GALLERY|ELECTRICAL|MACHINERY|TRADERS?|PERNIAGAAN|SYARIKAT|HOLDINGS|INDUSTRIES|PETROL|STATION|"
    r"SERVICES?|CENTRE|CENTER|PLT)\b"
)
# "SB" (Sdn Bhd) only where it ends a name ("MYNEWS RETAIL SB"), not in item codes ("SB-5882")
LEGAL_SUFFIX = re.compile(r"\b(SDN\.?\s*BHD|BHD|S/B|SB(?=\.?$)|BERHAD|INC|LLC|LTD|LIMITED|GMBH|PLC|CORP)\b")
NOT_VENDOR = re.compile(
    r"TAX\s*INVOICE|INVOICE|RECEIPT|WELCOME|THANK|CASH\s*BILL|\bTEL\b|\bFAX\b|\bGST\b|REG\b|\bNO\s*:|"
    r"DATE|TIME|CASHIER|TABLE|ORDER|COPY|@|WWW|HTTP|EMAIL|\bROC\b|^\(?[A-Z]{0,3}\d{5,}|"
    # the registration label, also glued or with N read as R ("CompanyNo", "Company ro :"): 3 training
    # readings took it for the name
    r"\bCOMPANY\s*[NR][O0]\b"
)
ADDRESS_CUE = re.compile(
    r"\b(JALAN|JLN|TAMAN|TMN|LOT|NO\.?|LORONG|LRG|BANDAR|KAWASAN|PERINDUSTRIAN|PLAZA|BLOCK|BLOK|LEVEL|FLOOR|"
    r"BATU|KAMPUNG|KG|PUSAT|SEKSYEN|SECTION|SELANGOR|JOHOR|KUALA|LUMPUR|PENANG|PULAU|PINANG|PERAK|KEDAH|"
    r"MELAKA|PAHANG|SABAH|SARAWAK|NEGERI|SEMBILAN|TERENGGANU|KELANTAN|PERLIS|PUTRAJAYA|MALAYSIA|DARUL|EHSAN|"
    r"STREET|ST\.?|AVENUE|AVE|ROAD|RD|BLVD|BOULEVARD|SUITE|DRIVE|DR|LANE|WAY|HIGHWAY|STRASSE|RUE|MALL|"
    r"PARK|SQUARE|CITY|UTAMA|INDAH|JAYA|PERMAI|EXIT|HWY|ROUTE|AUTOROUTE|PLATZ|PLACE|PLAZA|QUAI|CHEMIN|VIA|CALLE)\b|"
    r"\w(STRASSE|STR\.|WEG|GASSE)\b|\b\d{5}\b|,"
)
CONTACT_LINE = re.compile(
    r"\bTEL\b|TEL\s*:|PHONE|\bFAX\b|\bGST\b|REG\b|\bROC\b|\bCO\.?\s*NO|INVOICE|RECEIPT|\bDATE\b|E-?MAIL|WWW|"
    r"HTTP|CASHIER|\bH/?P\b|\bTAX\b|BUSINESS|OPEN\s|\d{2,4}-\d{3,4}\s?\d{3,4}"
)
REG_ONLY = re.compile(r"^\(?\s*(CO\.?\s*REG|COMPANY\s*NO|ROC)?[\s.:NO]*[A-Z]{0,3}\d{4,}[\s\-]*[A-Z]?\s*\)?$")

_I_FOR_L = re.compile(r"(?<=[a-z])I(?=[a-z])|(?<=[a-z]{2})I\b")


def fix_case_slips(text: str) -> str:
    """``WorId`` → ``World``: a capital I inside a lower-case word is an OCR'd l."""
    return _I_FOR_L.sub("l", text)
