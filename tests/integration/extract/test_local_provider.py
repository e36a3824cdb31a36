"""Functional: the local provider end to end on a real image (real intake, real OCR, real extractor)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from receiptflow.adapters.ocr.provider import LocalProvider
from receiptflow.errors import NoReceiptFoundError
from receiptflow.extract.checks import check_receipt
from receiptflow.intake import load_document
from receiptflow.ports import Provider
from receiptflow.settings import Settings


def test_us_receipt_through_real_ocr(shared_dir: Path, settings: Settings) -> None:
    # GIVEN the real US receipt photo (MEGA MARKET PLUS, month-first date)
    data = (shared_dir / "fixtures" / "textract" / "textractor__receipt.jpg").read_bytes()
    provider = LocalProvider(settings)
    assert isinstance(provider, Provider)
    # WHEN it goes through intake, OCR and extraction
    output = provider.analyze(load_document(data, settings=settings))
    receipt = check_receipt(output.receipt)
    # THEN the fields users pay for are right, in dollars
    assert receipt.provider == "local"
    assert output.cost_usd == 0.0 and output.providers_tried == ["local"]
    assert receipt.vendor_name.text == "MEGA MARKET PLUS"
    assert receipt.date.text == "12/07/2019"
    assert receipt.date.value == dt.date(2019, 12, 7)
    assert receipt.currency.value == "USD"
    assert receipt.subtotal.value == Decimal("1699.96")
    assert receipt.tax.value == Decimal("110.50")
    assert receipt.total.value == Decimal("1810.46")
    assert receipt.total.currency == "USD"
    assert receipt.payment_method.value == "VISA"
    assert [i.amount for i in receipt.line_items] == [
        Decimal("899.99"),
        Decimal("689.99"),
        Decimal("19.99"),
        Decimal("89.99"),
    ]
    assert {c.name: c.passed for c in receipt.checks}["totals_add_up"] is True
    assert receipt.raw_text.startswith("MEGA BIGBOX")


def test_blank_page_is_no_receipt_found(settings: Settings) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (400, 600), "white").save(buf, format="JPEG")
    doc = load_document(buf.getvalue(), settings=settings)
    with pytest.raises(NoReceiptFoundError) as err:
        LocalProvider(settings).analyze(doc)
    assert err.value.code == "no_text_found"
    assert err.value.provider == "local"
