"""Exports of scan results: CSV with stable columns, and JSON Lines (one ``ScanResult`` per line).

Batch items export the same way with the user's ``correction`` (field → value) laid over the machine
result: corrected columns take the user's value with confidence 1, ``corrected_fields`` names them, and
``reviewed`` says whether a person accepted the item (empty for results that are not batch items).
Text cells that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from receiptflow.models import (
    SUMMARY_FIELDS,
    BatchItem,
    ExtractedField,
    ItemStatus,
    ScanError,
    ScanResult,
    ScanStatus,
)

CONFIDENCE_FIELDS: tuple[str, ...] = ("vendor_name", "date", "total")
CSV_COLUMNS: tuple[str, ...] = (
    "source",
    "status",
    "error_code",
    "error_message",
    *SUMMARY_FIELDS,
    "item_count",
    "checks_failed",
    *(f"{name}_confidence" for name in CONFIDENCE_FIELDS),
    "provider",
    "cached",
    "attempts",
    "cost_usd",
    "duration_ms",
    "sha256",
    "corrected",
    "corrected_fields",
    "reviewed",
)
_TEXT_COLUMNS = frozenset(
    {"source", "error_message", "vendor_name", "vendor_address", "vendor_phone", "receipt_number",
     "payment_method", "category", "checks_failed"}
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = ScanResult | BatchItem


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def result_row(result: ScanResult, correction: Mapping[str, Any] | None = None) -> dict[str, str]:
    """One CSV row (column → text) for ``result``, with ``correction`` applied over it."""
    row = dict.fromkeys(CSV_COLUMNS, "")
    row.update(
        source=result.source,
        status=result.status.value,
        provider=_cell(result.provider),
        cached=_cell(result.cached),
        attempts=str(result.attempts),
        cost_usd=f"{result.cost_usd:.6f}".rstrip("0").rstrip(".") if result.cost_usd else "0",
        duration_ms=f"{result.duration_ms:.1f}",
        sha256=_cell(result.sha256),
    )
    if result.error is not None:
        row.update(error_code=result.error.code, error_message=result.error.message)
    receipt = result.receipt
    if receipt is not None:
        for name in SUMMARY_FIELDS:
            field: ExtractedField[Any] = getattr(receipt, name)
            row[name] = _cell(field.value)
        for name in CONFIDENCE_FIELDS:
            field = getattr(receipt, name)
            row[f"{name}_confidence"] = f"{field.confidence:.3f}"
        row["item_count"] = str(len(receipt.line_items))
        row["checks_failed"] = ";".join(c.name for c in receipt.checks if not c.passed)
    corrected = sorted(k for k in (correction or {}) if k in SUMMARY_FIELDS)
    for name in corrected:
        row[name] = _cell((correction or {})[name])
        if name in CONFIDENCE_FIELDS:
            row[f"{name}_confidence"] = "1.000"
    row["corrected"] = _cell(bool(corrected))
    row["corrected_fields"] = ";".join(corrected)
    for name in _TEXT_COLUMNS:
        row[name] = _safe_text(row[name])
    return row


def item_result(item: BatchItem) -> ScanResult:
    """The item's result; an unfinished or result-less item is reported by its status."""
    if item.result is not None:
        return item.result
    if item.status is ItemStatus.CANCELLED:
        return ScanResult(source=item.source, sha256=item.sha256, status=ScanStatus.CANCELLED)
    error = ScanError(code="not_finished", message=f"item is {item.status.value}", retryable=True)
    return ScanResult(source=item.source, sha256=item.sha256, status=ScanStatus.ERROR, error=error)


def _row(entry: Row) -> dict[str, str]:
    if isinstance(entry, BatchItem):
        row = result_row(item_result(entry), entry.correction)
        row["reviewed"] = _cell(entry.reviewed)
        return row
    return result_row(entry)


def write_csv(rows: Iterable[Row], fp: TextIO) -> int:
    """Write a header and one row per result or item to ``fp``; returns the row count."""
    writer = csv.DictWriter(fp, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    n = 0
    for entry in rows:
        writer.writerow(_row(entry))
        n += 1
    return n


def scan_results_to_csv(rows: Iterable[Row]) -> str:
    """CSV text (header + rows) for results or batch items."""
    buf = io.StringIO()
    write_csv(rows, buf)
    return buf.getvalue()


def items_to_csv(items: Iterable[BatchItem]) -> str:
    """CSV text for batch items, user corrections applied."""
    return scan_results_to_csv(items)


def jsonl_line(entry: Row) -> str:
    """One JSON line: the ``ScanResult``; for an item, plus ``item_id``, ``reviewed`` and any
    ``correction``."""
    if isinstance(entry, BatchItem):
        data = json.loads(item_result(entry).model_dump_json())
        data["item_id"] = entry.item_id
        data["reviewed"] = entry.reviewed
        if entry.correction:
            data["correction"] = entry.correction
        return json.dumps(data, ensure_ascii=False)
    return entry.model_dump_json()


def write_jsonl(rows: Iterable[Row], fp: TextIO) -> int:
    """Write one JSON line per result or item to ``fp``; returns the line count."""
    n = 0
    for entry in rows:
        fp.write(jsonl_line(entry) + "\n")
        n += 1
    return n


def scan_results_to_jsonl(rows: Iterable[Row]) -> str:
    """JSON Lines text for results or batch items."""
    buf = io.StringIO()
    write_jsonl(rows, buf)
    return buf.getvalue()
