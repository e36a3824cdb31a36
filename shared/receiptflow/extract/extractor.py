"""OCR lines → Receipt: rows in reading order, then each field by its own finder.

Every key field also records the evidence it was chosen on (cue strength, OCR confidence, agreement
with other fields); ``confidence.calibrated`` turns that evidence into the field's confidence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import replace

from receiptflow.extract import cue_table
from receiptflow.extract.confidence import calibrated, known_share, ocr_confidence
from receiptflow.extract.dates import DateMatch, find_dates, find_dates_lenient, find_times
from receiptflow.extract.header import Header, find_header
from receiptflow.extract.items import find_items
from receiptflow.extract.layout import Row, group_rows
from receiptflow.extract.lexicon import correct_text
from receiptflow.extract.locales import DateLocale, country_currency, dollar_country, infer_date_locale
from receiptflow.extract.misc import find_payment_method, find_phone, find_receipt_number
from receiptflow.extract.text import letter_share, strip_stray_accents
from receiptflow.extract.totals import Labelled, Totals, choose_totals
from receiptflow.models import DateField, MoneyField, Receipt, TextField, TimeField
from receiptflow.models.ocr_lines import OcrLine
from receiptflow.money import detect_currency, infer_convention

Evidence = dict[str, dict[str, float]]

# a date that is not the sale's: on a contact row (the date labels and validity words are cue-table
# roles: DATUM, FECHA, TARİH, ДАТА; GÜLTIG BIS, MHD, SCADENZA, WAŻNE DO, SON KULLANMA, СРОК)
_CONTACT_ROW = re.compile(r"\bTEL\b|\bFAX\b|PHONE", re.I)


def _date_label(text: str) -> bool:
    return "date" in cue_table.roles(text)


def _not_date(text: str) -> bool:
    return "expiry" in cue_table.roles(text) or bool(_CONTACT_ROW.search(text))


_POSTCODE = re.compile(r"\b\d{5}\b")
_SURE_OCR = 0.99


def extract_receipt(lines: Sequence[OcrLine], *, page_sizes: Sequence[tuple[int, int]] = ()) -> Receipt:
    """Read OCR lines (with boxes and confidences) into a Receipt; absent fields stay empty."""
    return read_receipt(lines, page_sizes=page_sizes)[0]


def read_receipt(
    lines: Sequence[OcrLine], *, page_sizes: Sequence[tuple[int, int]] = ()
) -> tuple[Receipt, Evidence]:
    """The receipt and, per key field, the evidence its confidence was calibrated on.

    ``page_sizes`` is accepted for callers that know them; rows are grouped from the boxes alone.
    """
    rows = group_rows(lines)
    texts = [r.text for r in rows]
    receipt = Receipt(raw_text="\n".join(texts))
    evidence: Evidence = {}
    if not rows:
        return receipt, evidence

    code, printed, cur_conf = _currency(texts)
    if code:
        receipt.currency = TextField(value=code, text=printed, confidence=round(cur_conf, 3))

    header = find_header(rows)
    header = replace(
        header,
        vendor=header.vendor and strip_stray_accents(header.vendor, receipt.raw_text),
        address=header.address and strip_stray_accents(header.address, receipt.raw_text),
    )
    _set_header(receipt, header, rows, evidence)

    _set_date_time(receipt, rows, infer_date_locale(texts), evidence)

    convention = infer_convention(texts, code)
    totals = choose_totals(rows, convention=convention)
    _set_money(receipt, totals, code, evidence)

    phone, phone_conf = find_phone(rows)
    if phone:
        receipt.vendor_phone = TextField(value=phone, text=phone, confidence=phone_conf)
    number, number_conf = find_receipt_number(rows)
    if number:
        receipt.receipt_number = TextField(value=number, text=number, confidence=number_conf)
    summary_start = _summary_start(rows, totals)
    method, method_text, method_conf = find_payment_method(rows[summary_start:])
    if method:
        receipt.payment_method = TextField(value=method, text=method_text, confidence=method_conf)

    item_start = max(header.vendor_rows, default=-1) + 1
    receipt.line_items = find_items(rows, item_start, summary_start, convention=convention)
    return receipt, evidence


def _currency(texts: list[str]) -> tuple[str | None, str | None, float]:
    """The receipt's currency (ISO code, as printed, confidence); a bare ``$`` is the dollar or peso of
    the country its words name (``dollar_country``); when none is printed, the currency of the country
    its words place it in (MYR on Malaysian cues, TRY on Turkish ones …), confidence 0.5."""
    code, printed, confidence = detect_currency(texts)
    if code == "USD" and printed == "$":
        code = dollar_country(texts) or code
    if code is None:
        inferred = country_currency(texts)
        if inferred is not None:
            return inferred, None, 0.5
    return code, printed, confidence


def read_totals(lines: Sequence[OcrLine]) -> Totals:
    """The summary amounts of a receipt alone, with every total candidate (for training the ranker)."""
    rows = group_rows(lines)
    texts = [r.text for r in rows]
    return choose_totals(rows, convention=infer_convention(texts, _currency(texts)[0]))


def _set_header(receipt: Receipt, header: Header, rows: Sequence[Row], evidence: Evidence) -> None:
    if header.vendor:
        vendor_rows = [rows[i] for i in header.vendor_rows]
        # OCR slips in the name are repaired against the lexicon only where OCR was unsure
        unsure = ocr_confidence(vendor_rows) < _SURE_OCR
        vendor = correct_text(header.vendor) if unsure else header.vendor
        evidence["company"] = {
            "certainty": header.vendor_certainty,
            "legal_suffix": float(header.vendor_certainty >= 0.9),
            "ocr": ocr_confidence(vendor_rows),
            "rows": float(len(vendor_rows)),
            "letters": letter_share(vendor),
            "known": known_share(vendor),
            "margin": min(header.vendor_margin, 5.0),
        }
        receipt.vendor_name = TextField(
            value=vendor, text=vendor, confidence=calibrated("company", evidence["company"])
        )
    if header.address:
        address_rows = [rows[i] for i in header.address_rows]
        address = correct_text(header.address) if ocr_confidence(address_rows) < _SURE_OCR else header.address
        evidence["address"] = {
            "certainty": header.address_certainty,
            "cues": float(header.address_cues),
            "ocr": ocr_confidence([rows[i] for i in header.address_rows]),
            "postcode": float(bool(_POSTCODE.search(address))),
            "rows": float(len(header.address_rows)),
            "known": known_share(address),
        }
        receipt.vendor_address = TextField(
            value=address, text=address, confidence=calibrated("address", evidence["address"])
        )


def _set_date_time(receipt: Receipt, rows: Sequence[Row], locale: DateLocale, evidence: Evidence) -> None:
    month_first, era = locale.month_first, locale.era
    today = dt.date.today()
    strict = [(d, row) for row in rows for d in find_dates(row.text, month_first=month_first, era=era)]
    # dates whose separators OCR misread compete too (a faded DATE row against a date elsewhere; on
    # the training text lines with one separator dropped, +5 of 426), unless the same date is also
    # printed cleanly; never on expiry or phone rows
    values = {d.value for d, _ in strict}
    lenient = [
        (d, row)
        for row in rows
        if not _not_date(row.text)
        for d in find_dates_lenient(row.text, month_first=month_first, era=era)
        if d.value not in values
    ]
    scored: list[tuple[float, DateMatch, Row]] = []
    for d, row in strict + lenient:
        score = d.certainty - 0.01 * row.index
        if _date_label(row.text):
            score += 0.3
        if find_times(row.text):
            score += 0.2
        if _not_date(row.text):
            score -= 1.0
        if d.value > today:
            score -= 0.5  # a date in the future is a misreading or a validity date
        scored.append((score, d, row))
    if not scored:
        return
    _, date, row = max(scored, key=lambda s: s[0])
    evidence["date"] = {
        "certainty": date.certainty,
        "label": float(_date_label(row.text)),
        "time": float(bool(find_times(row.text))),
        "ocr": ocr_confidence([row]),
        "rivals": float(len({d.value for _, d, _ in scored} - {date.value})),
    }
    receipt.date = DateField(
        value=date.value, text=date.text, confidence=calibrated("date", evidence["date"])
    )
    times = find_times(row.text[date.end :]) or [t for r in rows for t in find_times(r.text)]
    if times:
        receipt.time = TimeField(value=times[0].value, text=times[0].text, confidence=0.8)


def _money(f: Labelled | None, currency: str | None, confidence: float = 0.8) -> MoneyField:
    if f is None:
        return MoneyField()
    return MoneyField(
        value=f.amount.value,
        text=f.amount.text or None,
        confidence=round(confidence, 3),
        currency=f.amount.currency or currency,
    )


def _set_money(receipt: Receipt, totals: Totals, currency: str | None, evidence: Evidence) -> None:
    if totals.total is not None:
        evidence["total"] = {
            "certainty": totals.total_certainty,
            "ocr": ocr_confidence([totals.total.row]),
            "rivals": float(totals.total_rivals),
            "paid_agrees": float(totals.paid_agrees),
            "sum_agrees": float(totals.sum_agrees),
            "largest": float(totals.total_largest),
            "conflicts": float(totals.total_conflicts),
            "score": totals.total_score,
            "margin": totals.total_margin,
            "by_rules": float(totals.total_by_rules),
        }
        receipt.total = _money(totals.total, currency, calibrated("total", evidence["total"]))
    receipt.subtotal = _money(totals.subtotal, currency)
    receipt.tax = _money(totals.tax, currency)
    receipt.tip = _money(totals.tip, currency)
    discount = _money(totals.discount, currency)
    if discount.value is not None:
        discount.value = abs(discount.value)
    receipt.discount = discount
    receipt.amount_paid = _money(totals.paid, currency, 0.7)
    paid = receipt.amount_paid.value
    if paid is not None and receipt.total.value is not None and paid < receipt.total.value:
        receipt.amount_paid = MoneyField()


def _summary_start(rows: Sequence[Row], totals: Totals) -> int:
    found = [f.row.index for f in (totals.subtotal, totals.total, totals.tax) if f is not None]
    return min(found) if found else len(rows)
