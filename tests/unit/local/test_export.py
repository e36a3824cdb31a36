"""CSV/JSONL exports: stable columns, corrections laid over machine results, formula-safe cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

from receiptflow.export import CSV_COLUMNS, items_to_csv, scan_results_to_csv, scan_results_to_jsonl
from receiptflow.models import (
    BatchItem,
    DateField,
    ItemStatus,
    LineItem,
    MoneyField,
    Receipt,
    ReceiptCheck,
    ScanError,
    ScanResult,
    ScanStatus,
    TextField,
)


def ok_result() -> ScanResult:
    receipt = Receipt(
        vendor_name=TextField(value="=HYPERLINK(evil)", text="=HYPERLINK(evil)", confidence=0.8),
        date=DateField(value=dt.date(2024, 3, 5), text="05/03/2024", confidence=0.9),
        total=MoneyField(value=Decimal("5.59"), text="5.59", confidence=0.95, currency="USD"),
        discount=MoneyField(value=Decimal("-1.00"), text="-1.00", confidence=0.7),
        line_items=[LineItem(description="MILK", amount=Decimal("2.49"))],
        checks=[
            ReceiptCheck(name="items_sum", passed=False),
            ReceiptCheck(name="date_plausible", passed=True),
        ],
        provider="local",
    )
    return ScanResult(
        source="a.jpg",
        sha256="ab",
        status=ScanStatus.OK,
        receipt=receipt,
        provider="local",
        attempts=1,
        duration_ms=12.34,
    )


def error_result() -> ScanResult:
    return ScanResult(
        source="b.txt", status=ScanStatus.ERROR, error=ScanError(code="unsupported_type", message="text file")
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_the_stable_header_and_one_row_per_result() -> None:
    text = scan_results_to_csv([ok_result(), error_result()])
    assert text.splitlines()[0].split(",") == list(CSV_COLUMNS)
    ok, err = rows(text)
    assert (ok["status"], ok["date"], ok["total"], ok["item_count"], ok["discount"]) == (
        "ok", "2024-03-05", "5.59", "1", "-1.00",
    )  # fmt: skip
    assert (ok["total_confidence"], ok["checks_failed"], ok["corrected"]) == ("0.950", "items_sum", "false")
    assert (err["status"], err["error_code"], err["error_message"], err["vendor_name"]) == (
        "error", "unsupported_type", "text file", "",
    )  # fmt: skip


def test_text_cells_cannot_become_formulas_but_numbers_stay_numbers() -> None:
    (row,) = rows(scan_results_to_csv([ok_result()]))
    assert row["vendor_name"] == "'=HYPERLINK(evil)"
    assert row["discount"] == "-1.00"


def test_item_corrections_override_the_machine_values_and_are_flagged() -> None:
    item = BatchItem(
        batch_id="b",
        item_id="i1",
        source="a.jpg",
        status=ItemStatus.SUCCEEDED,
        result=ok_result(),
        correction={"total": "6.00", "vendor_name": "Corner Grocer", "not_a_field": 1},
    )
    (row,) = rows(items_to_csv([item]))
    assert (row["total"], row["vendor_name"], row["total_confidence"]) == ("6.00", "Corner Grocer", "1.000")
    assert (row["date"], row["date_confidence"]) == ("2024-03-05", "0.900")
    assert (row["corrected"], row["corrected_fields"]) == ("true", "total;vendor_name")


def test_unfinished_items_export_by_their_status() -> None:
    cancelled = BatchItem(batch_id="b", item_id="i2", source="c.jpg", status=ItemStatus.CANCELLED)
    pending = BatchItem(batch_id="b", item_id="i3", source="d.jpg")
    c, p = rows(items_to_csv([cancelled, pending]))
    assert (c["status"], c["error_code"]) == ("cancelled", "")
    assert (p["status"], p["error_code"]) == ("error", "not_finished")


def test_jsonl_round_trips_scan_results_and_carries_corrections() -> None:
    text = scan_results_to_jsonl([ok_result(), error_result()])
    parsed = [ScanResult.model_validate_json(line) for line in text.splitlines()]
    assert parsed == [ok_result(), error_result()]
    item = BatchItem(
        batch_id="b", item_id="i1", source="a.jpg", result=ok_result(), correction={"total": "6.00"}
    )
    data = json.loads(scan_results_to_jsonl([item]))
    assert (data["item_id"], data["correction"], data["status"]) == ("i1", {"total": "6.00"}, "ok")
