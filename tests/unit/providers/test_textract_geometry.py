"""Textract fields keep their value's bounding box (page-normalised, 0-based page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from receiptflow.adapters.aws.textract_parser import parse_expense

from tests.support.textract import MEGA_MARKET, load_fixture


def _field(ftype: str, value: str, page: int, bounds: dict[str, float] | None) -> dict[str, Any]:
    detection: dict[str, Any] = {"Text": value, "Confidence": 99.0}
    if bounds is not None:
        detection["Geometry"] = {"BoundingBox": bounds, "Polygon": []}
    return {"Type": {"Text": ftype, "Confidence": 99.0}, "ValueDetection": detection, "PageNumber": page}


def test_recorded_response_boxes_match_the_value_geometry(shared_dir: Path) -> None:
    raw = load_fixture(shared_dir, MEGA_MARKET)
    (receipt,) = parse_expense(raw)
    vendor = receipt.vendor_name.box
    assert vendor is not None and vendor.page == 0
    # the recorded ValueDetection of "MEGA MARKET PLUS"
    assert (vendor.x0, vendor.y0) == pytest.approx((0.3059, 0.1191), abs=1e-4)
    assert vendor.x1 == pytest.approx(0.3059 + 0.3839, abs=1e-3)
    for name in ("date", "total", "subtotal", "tax"):
        box = getattr(receipt, name).box
        assert box is not None and 0 <= box.x0 < box.x1 <= 1 and 0 <= box.y0 < box.y1 <= 1, name


def test_second_page_and_missing_geometry() -> None:
    raw = {
        "ExpenseDocuments": [
            {
                "ExpenseIndex": 1,
                "SummaryFields": [
                    _field("TOTAL", "12.00", 2, {"Left": 0.5, "Top": 0.8, "Width": 0.2, "Height": 0.03}),
                    _field("VENDOR_NAME", "ACME", 1, None),
                    _field("TAX", "1.00", 1, {"Left": 0.9, "Top": 0.5, "Width": 0.3, "Height": 0.02}),
                ],
                "LineItemGroups": [],
            }
        ]
    }
    (receipt,) = parse_expense(raw)
    total = receipt.total.box
    assert total is not None and total.page == 1
    assert (total.x0, total.y0, total.x1, total.y1) == pytest.approx((0.5, 0.8, 0.7, 0.83))
    assert receipt.vendor_name.present and receipt.vendor_name.box is None
    tax = receipt.tax.box
    assert tax is not None and tax.x1 == 1.0  # clipped to the page
