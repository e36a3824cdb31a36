"""The workflow Lambda handlers invoked directly with the event fixtures (no state machine)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.errors import CorruptImageError, FileReadError, ItemTimeoutError
from receiptflow.models import Batch, BatchItem, BatchStatus, ItemStatus

from tests.support.events import FakeLambdaContext, lambda_context, load_event
from tests.support.jpegs import corrupt_jpeg
from tests.support.serverless_stack import Stack, handler_for, serverless_stack


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """moto resources with ``batch-1`` of ``tenant-a`` running, holding one corrupt upload (the fixtures'
    ids)."""
    with serverless_stack(monkeypatch, tmp_path, provider="local") as stack:
        store = DynamoBatchStore(stack.table)
        store.create_batch(Batch(batch_id="batch-1", tenant_id="tenant-a"))
        key = "uploads/tenant-a/batch-1/00001"
        stack.drop(key, corrupt_jpeg())
        store.add_items([BatchItem(batch_id="batch-1", item_id="00001", source="broken.jpg", blob_key=key)])
        store.set_batch_status("batch-1", BatchStatus.RUNNING)
        yield stack


def test_scan_image_raises_the_typed_error_by_its_own_class(stack: Stack) -> None:
    # Powertools' decorators must not wrap it: Step Functions matches the class name
    with pytest.raises(CorruptImageError):
        handler_for("ScanImageFunction")(load_event("scan_image"), lambda_context("ScanImageFunction"))


def test_scan_image_reports_a_missing_upload_as_file_unreadable(stack: Stack) -> None:
    stack.s3.delete_object(Bucket=stack.bucket, Key="uploads/tenant-a/batch-1/00001")
    with pytest.raises(FileReadError):
        handler_for("ScanImageFunction")(load_event("scan_image"), lambda_context("ScanImageFunction"))


def test_scan_image_refuses_another_tenants_item(stack: Stack) -> None:
    event = load_event("scan_image") | {"tenant_id": "tenant-b"}
    with pytest.raises(Exception, match="not found") as raised:
        handler_for("ScanImageFunction")(event, lambda_context("ScanImageFunction"))
    assert type(raised.value).__name__ == "NotFoundError"


def test_record_failure_and_finalize_handlers(stack: Stack) -> None:
    # WHEN Record Failure receives the caught CorruptImageError and Finalize runs
    recorded = handler_for("RecordFailureFunction")(load_event("record_failure"), lambda_context())
    finalized = handler_for("FinalizeBatchFunction")(load_event("batch_ref"), lambda_context())

    # THEN the item carries the typed error and the batch failed (its only item failed)
    assert (recorded["recorded"], recorded["code"]) == (True, "corrupt_image")
    item = DynamoBatchStore(stack.table).get_item("batch-1", "00001")
    assert item.status is ItemStatus.FAILED and item.result is not None and item.result.error is not None
    assert (item.result.error.code, item.result.error.message) == (
        "corrupt_image",
        "the image data is truncated",
    )
    assert finalized["status"] == BatchStatus.FAILED.value
    assert finalized["summary_key"] == "results/tenant-a/batch-1/summary.json"
    assert finalized["counts"]["failed"] == 1


@dataclass
class ShortLambdaContext(FakeLambdaContext):
    """A context with little time left (``remaining_ms``)."""

    remaining_ms: int = 0

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return self.remaining_ms


def test_scan_image_stops_with_a_typed_timeout_before_the_function_times_out(stack: Stack) -> None:
    # GIVEN an invocation with less time left than the deadline margin (5 s by default)
    context = ShortLambdaContext(function_name="ScanImageFunction", remaining_ms=4_000)
    # WHEN the item is scanned
    with pytest.raises(ItemTimeoutError) as raised:
        handler_for("ScanImageFunction")(load_event("scan_image"), context)
    # THEN it stops before decoding with the typed error naming the limit, and the state machine's Catch
    # records it (by its class name) as a resource_limit row
    assert "time limit" in str(raised.value) and "decoding" in str(raised.value)
    cause = json.dumps({"errorMessage": str(raised.value)})
    caught = load_event("record_failure") | {"error": {"Error": type(raised.value).__name__, "Cause": cause}}
    handler_for("RecordFailureFunction")(caught, lambda_context())
    item = DynamoBatchStore(stack.table).get_item("batch-1", "00001")
    assert item.result is not None and item.result.error is not None
    assert item.result.error.code == "resource_limit" and "time limit" in item.result.error.message
