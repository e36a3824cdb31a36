"""Phone, receipt number and payment method: labelled values anywhere on the receipt."""

from __future__ import annotations

import re
from collections.abc import Sequence

from receiptflow.extract.layout import Row
from receiptflow.extract.text import clean

_PHONE = re.compile(
    r"(?:TEL|PHONE|PH|T|HP|H/P|MOBILE)\s*(?:NO)?\.?\s*[:.]?\s*(?P<num>\+?\(?\d[\d\s\-()]{6,16}\d)|"
    r"(?P<bare>\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}-\d{3}-\d{4}\b|\b0\d{1,2}-\d{3,4}\s?\d{3,4}\b)",
    re.I,
)
_RECEIPT_NO = re.compile(
    r"(?:RECEIPT|INVOICE|INV|BILL|DOC(?:UMENT)?|TRANS(?:ACTION)?|TXN|CHECK|CHK|ORDER|REF|SLIP|TICKET|RCPT|CB)"
    r"\s*(?:NO\.?|NUMBER|NUM|#|ID)?\s*[:#.]?\s*(?P<no>[A-Z]{0,4}[\-/]?\d[\w\-/]{2,})",
    re.I,
)
_PAYMENT = (
    ("VISA", re.compile(r"\bVISA\b", re.I)),
    ("MASTERCARD", re.compile(r"MASTER\s*CARD|\bMASTER\b|\bMC\b", re.I)),
    ("AMEX", re.compile(r"\bAMEX\b|AMERICAN\s*EXPRESS", re.I)),
    ("DEBIT CARD", re.compile(r"\bDEBIT\b|EFTPOS|MYDEBIT", re.I)),
    ("CREDIT CARD", re.compile(r"CREDIT\s*CARD", re.I)),
    ("CARD", re.compile(r"\bCARD\b|\bCB\b|\bCARTE\b|\bKARTE\b|\bEC\b|CONTACTLESS", re.I)),
    ("E-WALLET", re.compile(r"TOUCH\s*'?N\s*GO|GRAB\s*PAY|BOOST|E-?WALLET|APPLE\s*PAY|GOOGLE\s*PAY", re.I)),
    ("CASH", re.compile(r"\bCASH\b|TUNAI|\bBAR\b|ESP[EÈ]CES|EFECTIVO|CONTANTI", re.I)),
)


def find_phone(rows: Sequence[Row]) -> tuple[str | None, float]:
    """The first phone number, preferring labelled ones."""
    for row in rows:
        m = _PHONE.search(row.text)
        if m:
            num = m.group("num") or m.group("bare")
            return clean(num), 0.85 if m.group("num") else 0.6
    return None, 0.0


def find_receipt_number(rows: Sequence[Row]) -> tuple[str | None, float]:
    """The number after a receipt/invoice/bill/document label."""
    for row in rows:
        m = _RECEIPT_NO.search(row.text)
        if m:
            return m.group("no"), 0.7
    return None, 0.0


def find_payment_method(rows: Sequence[Row]) -> tuple[str | None, str | None, float]:
    """Payment method from the rows below the total: (normalised name, printed, certainty)."""
    for name, pattern in _PAYMENT:
        for row in rows:
            m = pattern.search(row.text)
            if m:
                return name, m.group(0), 0.7
    return None, None, 0.0
