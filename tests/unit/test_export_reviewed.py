"""Exports say which items a person reviewed, beside their corrections."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

from receiptflow.export import items_to_csv, scan_results_to_csv, scan_results_to_jsonl
from receiptflow.models import BatchItem, ItemStatus, MoneyField, Receipt, ScanResult, ScanStatus, utcnow


def item(item_id: str, *, reviewed: bool) -> BatchItem:
    result = ScanResult(
        source=f"{item_id}.jpg",
        status=ScanStatus.OK,
        receipt=Receipt(total=MoneyField(value=Decimal("10.00"), text="10.00", confidence=0.4)),
    )
    return BatchItem(
        batch_id="b",
        item_id=item_id,
        source=f"{item_id}.jpg",
        status=ItemStatus.SUCCEEDED,
        result=result,
        correction={"total": "10.80"} if reviewed else None,
        reviewed_at=utcnow() if reviewed else None,
    )


def test_csv_and_jsonl_carry_the_reviewed_flag_and_the_correction() -> None:
    items = [item("1", reviewed=True), item("2", reviewed=False)]
    rows = list(csv.DictReader(io.StringIO(items_to_csv(items))))
    assert [(r["reviewed"], r["total"], r["corrected"]) for r in rows] == [
        ("true", "10.80", "true"),
        ("false", "10.00", "false"),
    ]
    lines = [json.loads(line) for line in scan_results_to_jsonl(items).splitlines()]
    assert [(d["reviewed"], d.get("correction")) for d in lines] == [
        (True, {"total": "10.80"}),
        (False, None),
    ]


def test_plain_scan_results_leave_reviewed_empty() -> None:
    result = ScanResult(source="x.jpg", status=ScanStatus.OK, receipt=Receipt())
    (row,) = csv.DictReader(io.StringIO(scan_results_to_csv([result])))
    assert row["reviewed"] == ""
