"""Contract (both batch stores): field boxes round-trip with results; the ``reviewed`` mark is kept,
cleared on request and by a rescan."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.errors import NotFoundError
from receiptflow.models import (
    Batch,
    BatchItem,
    BatchOptions,
    FieldBox,
    ItemStatus,
    MoneyField,
    Receipt,
    ScanError,
    ScanResult,
    ScanStatus,
    TextField,
)
from receiptflow.ports import BatchStore

from tests.support.backends import BACKENDS, AwsResources, build, embedded_class
from tests.support.clock import FakeClock

TENANT = "tenant-a"
BOX = FieldBox(page=1, x0=0.61, y0=0.8, x1=0.9, y1=0.83)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Any, clock: FakeClock) -> Iterator[BatchStore]:
    if request.param == "embedded":
        cls = embedded_class("receiptflow.adapters.embedded.batch_store", "SqliteBatchStore")
        yield build(cls, tmp_path / "receiptflow.db", clock=clock)
    else:
        aws: AwsResources = request.getfixturevalue("aws")
        yield DynamoBatchStore(aws.table, clock=clock)


def one_item(store: BatchStore, **options: Any) -> None:
    store.create_batch(Batch(batch_id="b1", tenant_id=TENANT, options=BatchOptions(**options)))
    store.add_items([BatchItem(batch_id="b1", item_id="i1", source="a.jpg")])


def boxed_result() -> ScanResult:
    receipt = Receipt(
        vendor_name=TextField(
            value="ACME", text="ACME", confidence=0.9, box=FieldBox(x0=0, y0=0, x1=1, y1=0.1)
        ),
        total=MoneyField(value=Decimal("9.50"), text="9.50", confidence=0.9, box=BOX),
    )
    return ScanResult(source="a.jpg", status=ScanStatus.OK, receipt=receipt)


def test_field_boxes_round_trip_with_the_result(store: BatchStore) -> None:
    one_item(store)
    store.finish_item("b1", "i1", boxed_result())
    (listed,) = store.list_items("b1")
    for item in (store.get_item("b1", "i1"), listed):
        assert item.result is not None and item.result.receipt is not None
        assert item.result.receipt.total.box == BOX
        assert item.result.receipt.tax.box is None


def test_webhook_url_round_trips_in_the_batch_options(store: BatchStore) -> None:
    one_item(store, webhook_url="https://hooks.example.com/receipts")
    assert store.get_batch(TENANT, "b1").options.webhook_url == "https://hooks.example.com/receipts"


def test_reviewed_mark_is_set_kept_beside_a_correction_and_cleared(store: BatchStore) -> None:
    one_item(store)
    store.finish_item("b1", "i1", boxed_result())
    assert store.get_item("b1", "i1").reviewed is False

    marked = store.set_reviewed("b1", "i1", True)
    corrected = store.set_correction("b1", "i1", {"total": "9.05"})
    for item in (marked, corrected, store.get_item("b1", "i1"), store.list_items("b1")[0]):
        assert item.reviewed is True and item.reviewed_at is not None
    assert corrected.correction == {"total": "9.05"}

    cleared = store.set_reviewed("b1", "i1", False)
    assert cleared.reviewed is False and store.get_item("b1", "i1").reviewed_at is None


def test_a_rescan_clears_the_reviewed_mark(store: BatchStore) -> None:
    one_item(store)
    failed = ScanError(code="corrupt_image", message="cannot decode")
    store.finish_item("b1", "i1", ScanResult(source="a.jpg", status=ScanStatus.ERROR, error=failed))
    store.set_reviewed("b1", "i1", True)
    (reset,) = store.reset_failed("b1")
    assert reset.reviewed is False
    item = store.get_item("b1", "i1")
    assert item.status is ItemStatus.PENDING and item.reviewed is False


def test_reviewing_a_missing_item_is_not_found(store: BatchStore) -> None:
    one_item(store)
    with pytest.raises(NotFoundError):
        store.set_reviewed("b1", "nope", True)
