"""Scoring a prediction against a labelled receipt.

Text fields follow the SROIE task-3 protocol (upper-case, whitespace collapsed, exact match); company
and address also get a lenient score (case, spacing and punctuation ignored, the truth contained in
the prediction), because many labels transcribe the print without spaces. Totals compare as numbers
and any of the truth's totals counts. Dates compare as dates when the truth gives ``date_iso``, else
as printed text (case and spacing ignored). A field the truth leaves empty is not scored.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from receiptflow.models import Receipt

FIELDS: tuple[str, ...] = ("company", "date", "address", "total")
# scores printed beside the exact ones: field → the field whose prediction and truth they use
LENIENT: dict[str, str] = {"company_lenient": "company", "address_lenient": "address"}
SCORES: tuple[str, ...] = ("company", "company_lenient", "date", "address", "address_lenient", "total")
_WS = re.compile(r"\s+")
_NUMBER = re.compile(r"-?\d[\d.,' ]*|-?[.,]\d+")


def normalise_text(value: str | None) -> str:
    """Upper-cased, whitespace collapsed and trimmed."""
    return _WS.sub(" ", value or "").strip().upper()


def lenient_text(value: str | None) -> str:
    """Letters and digits only (any script), upper-cased: case, spacing and punctuation ignored."""
    folded = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(c for c in folded if c.isalnum())


def parse_total(value: str | Decimal | None) -> Decimal | None:
    """A total as a number: currency symbols and letters dropped; of ``.`` and ``,`` the last one
    followed by one or two digits is the decimal mark (``1.129,00``, ``1,234.50``), the others group
    thousands."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    m = _NUMBER.search(value.replace("\u2212", "-"))
    if m is None:
        return None
    text = m.group(0).strip().replace("'", "").replace(" ", "")
    sign = "-" if text.startswith("-") else ""
    text = text.lstrip("-")
    decimal = re.search(r"[.,](\d{1,2})$", text)
    if decimal:
        whole = re.sub(r"[.,]", "", text[: decimal.start()])
        text = f"{whole or '0'}.{decimal.group(1)}"
    else:
        text = re.sub(r"[.,]", "", text)
    try:
        return Decimal(sign + text) if text else None
    except InvalidOperation:
        return None


def parse_iso_date(value: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` as a date; None when absent or malformed."""
    try:
        return dt.date.fromisoformat((value or "").strip()[:10])
    except ValueError:
        return None


def field_matches(field: str, predicted: str | Decimal | None, truth: str | None) -> bool:
    """True when ``predicted`` equals a SROIE-style string truth (``total`` as a number)."""
    if field == "total":
        want, got = parse_total(truth), parse_total(predicted)
        return want is not None and got is not None and want == got
    return normalise_text(truth) == normalise_text(predicted if isinstance(predicted, str) else None)


@dataclass(frozen=True)
class Truth:
    """The labelled fields of one receipt; empty strings are fields the label leaves out."""

    company: str = ""
    date: str = ""
    address: str = ""
    total: str = ""
    date_iso: str = ""
    totals: tuple[str, ...] = ()

    def text(self, field: str) -> str:
        """The label's text for ``field`` (``company``, ``date``, ``address`` or ``total``)."""
        value: str = getattr(self, field)
        return value

    def accepted_totals(self) -> list[Decimal]:
        """Every amount the label accepts as the total (``totals``, else ``total``)."""
        found = [parse_total(t) for t in (*self.totals, self.total)]
        return [t for t in found if t is not None]

    def has(self, field: str) -> bool:
        """True when the label gives ``field`` (a score name such as ``company_lenient`` too)."""
        field = LENIENT.get(field, field)
        if field == "total":
            return bool(self.accepted_totals())
        if field == "date":
            return bool(self.date.strip()) or parse_iso_date(self.date_iso) is not None
        return bool(self.text(field).strip())


def truth_from_label(data: Mapping[str, object]) -> Truth:
    """A Truth from a label object (SROIE ``key/`` files, the shared ``gt/*.json``)."""

    def text(name: str) -> str:
        value = data.get(name)
        return "" if value is None else str(value)

    raw_totals = data.get("totals")
    totals: Iterable[object] = raw_totals if isinstance(raw_totals, list | tuple) else ()
    return Truth(
        company=text("company"),
        date=text("date"),
        address=text("address"),
        total=text("total"),
        date_iso=text("date_iso"),
        totals=tuple(str(t) for t in totals if t is not None and str(t).strip()),
    )


def score(values: Mapping[str, str | None], truth: Truth) -> dict[str, bool | None]:
    """Per score name (``SCORES``): right, wrong, or None when the truth leaves the field out.

    ``values`` holds the predicted ``company``, ``address``, ``date`` (as printed), ``date_iso`` and
    ``total`` (as text), as ``prediction_values`` gives them; a missing key is no prediction."""
    out: dict[str, bool | None] = {}
    for name in SCORES:
        if not truth.has(name):
            out[name] = None
        elif name == "total":
            amount = parse_total(values.get("total"))
            out[name] = amount is not None and amount in truth.accepted_totals()
        elif name == "date":
            out[name] = _date_matches(values, truth)
        elif name in LENIENT:
            want, got = lenient_text(truth.text(LENIENT[name])), lenient_text(values.get(LENIENT[name]))
            out[name] = bool(want) and want in got
        else:
            out[name] = field_matches(name, values.get(name), truth.text(name))
    return out


def day_month_swapped(predicted_iso: str | None, truth_iso: str | None) -> bool:
    """True when two different dates are each other with day and month swapped."""
    got, want = parse_iso_date(predicted_iso), parse_iso_date(truth_iso)
    if got is None or want is None or got == want:
        return False
    return (got.year, got.day, got.month) == (want.year, want.month, want.day)


def _date_matches(values: Mapping[str, str | None], truth: Truth) -> bool:
    want = parse_iso_date(truth.date_iso)
    if want is not None:
        return parse_iso_date(values.get("date_iso")) == want
    return _printed_date(truth.date) == _printed_date(values.get("date"))


def _printed_date(text: str | None) -> str:
    """A date as printed, case, spacing and the kind of apostrophe ignored (``27Dec´16``)."""
    return re.sub(r"[´’`‘]", "'", _WS.sub("", text or "")).upper()


@dataclass(frozen=True)
class FieldPrediction:
    """One field's predicted value (as scored) and its confidence."""

    value: str | Decimal | None
    confidence: float


def predictions(receipt: Receipt) -> dict[str, FieldPrediction]:
    """The scored fields of a receipt: company ← vendor_name.text, address ← vendor_address.text,
    date ← date.text, total ← total.value."""
    return {
        "company": FieldPrediction(receipt.vendor_name.text, receipt.vendor_name.confidence),
        "address": FieldPrediction(receipt.vendor_address.text, receipt.vendor_address.confidence),
        "date": FieldPrediction(receipt.date.text, receipt.date.confidence),
        "total": FieldPrediction(receipt.total.value, receipt.total.confidence),
    }


def prediction_values(receipt: Receipt) -> tuple[dict[str, str | None], dict[str, float]]:
    """What ``score`` reads from a receipt (the date also as ``date_iso``), and each field's confidence."""
    preds = predictions(receipt)
    values = {f: None if p.value is None else str(p.value) for f, p in preds.items()}
    values["date_iso"] = receipt.date.value.isoformat() if receipt.date.value else None
    return values, {f: p.confidence for f, p in preds.items()}
