"""How batches and items are laid out as DynamoDB records (plain values; see ``dynamo_codec`` for the wire).

A batch is one ``META`` record holding its status, counters (``n_*``) and event ``seq``; each item is one
``ITEM#<id>`` record in the same partition. Results and corrections are JSON strings (Decimals stay exact).
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.models import (
    Batch,
    BatchCounts,
    BatchItem,
    BatchOptions,
    ItemStatus,
    ScanResult,
    ScanStatus,
)

# Batch counter attribute for each terminal item status, and for results served from the cache.
COUNTER_FOR_STATUS: dict[ItemStatus, str] = {
    ItemStatus.SUCCEEDED: "n_succeeded",
    ItemStatus.FAILED: "n_failed",
    ItemStatus.CANCELLED: "n_cancelled",
}
TOTAL_COUNTER = "n_total"
CACHED_COUNTER = "n_cached"
SEQ_ATTRIBUTE = "seq"
COST_ATTRIBUTE = "cost_usd"

ITEM_STATUS_FOR_RESULT: dict[ScanStatus, ItemStatus] = {
    ScanStatus.OK: ItemStatus.SUCCEEDED,
    ScanStatus.ERROR: ItemStatus.FAILED,
    ScanStatus.CANCELLED: ItemStatus.CANCELLED,
}

# Batch columns ``set_batch_status(**fields)`` may change.
SETTABLE_BATCH_FIELDS = frozenset(
    {"name", "expected_files", "options", "cost_usd", "started_at", "finished_at", "execution_arn"}
)


def batch_record(batch: Batch, expires_at: int) -> dict[str, Any]:
    """The META record of a new batch."""
    return {
        **keys.batch_key(batch.batch_id),
        keys.GSI1_PK: keys.tenant_gsi1pk(batch.tenant_id),
        keys.GSI1_SK: keys.tenant_gsi1sk(batch.created_at, batch.batch_id),
        keys.TTL_ATTRIBUTE: expires_at,
        "entity": "batch",
        "batch_id": batch.batch_id,
        "tenant_id": batch.tenant_id,
        "name": batch.name,
        "status": batch.status.value,
        "expected_files": batch.expected_files,
        "options": batch.options.model_dump_json(),
        "cost_usd": batch.cost_usd,
        "created_at": batch.created_at,
        "started_at": batch.started_at,
        "finished_at": batch.finished_at,
        "execution_arn": batch.execution_arn,
        TOTAL_COUNTER: batch.counts.total,
        COUNTER_FOR_STATUS[ItemStatus.SUCCEEDED]: batch.counts.succeeded,
        COUNTER_FOR_STATUS[ItemStatus.FAILED]: batch.counts.failed,
        COUNTER_FOR_STATUS[ItemStatus.CANCELLED]: batch.counts.cancelled,
        CACHED_COUNTER: batch.counts.cached,
        SEQ_ATTRIBUTE: 0,
    }


def _int(record: dict[str, Any], name: str) -> int:
    return int(record.get(name) or 0)


def batch_from_record(record: dict[str, Any]) -> Batch:
    """A ``Batch`` (with its live counters) from its META record."""
    expected = record.get("expected_files")
    return Batch(
        batch_id=record["batch_id"],
        tenant_id=record["tenant_id"],
        name=record.get("name", ""),
        status=record["status"],
        expected_files=None if expected is None else int(expected),
        options=BatchOptions.model_validate_json(record["options"]),
        counts=BatchCounts(
            total=_int(record, TOTAL_COUNTER),
            succeeded=_int(record, COUNTER_FOR_STATUS[ItemStatus.SUCCEEDED]),
            failed=_int(record, COUNTER_FOR_STATUS[ItemStatus.FAILED]),
            cancelled=_int(record, COUNTER_FOR_STATUS[ItemStatus.CANCELLED]),
            cached=_int(record, CACHED_COUNTER),
        ),
        cost_usd=float(record.get("cost_usd") or 0),
        created_at=record["created_at"],
        started_at=record.get("started_at"),
        finished_at=record.get("finished_at"),
        execution_arn=record.get("execution_arn"),
        last_seq=_int(record, SEQ_ATTRIBUTE),
    )


def batch_field_value(name: str, value: Any) -> Any:
    """A ``set_batch_status`` extra field as stored (``None`` means remove the attribute)."""
    if name not in SETTABLE_BATCH_FIELDS:
        raise ValueError(f"batch field {name!r} cannot be set; choose from {sorted(SETTABLE_BATCH_FIELDS)}")
    if name == "options" and value is not None:
        return BatchOptions.model_validate(value).model_dump_json()
    if name == "cost_usd" and value is not None:
        return Decimal(repr(float(value)))
    return value


def item_record(item: BatchItem, expires_at: int) -> dict[str, Any]:
    """The record of one batch item."""
    return {
        **keys.item_key(item.batch_id, item.item_id),
        keys.TTL_ATTRIBUTE: expires_at,
        "entity": "item",
        "batch_id": item.batch_id,
        "item_id": item.item_id,
        "source": item.source,
        "blob_key": item.blob_key,
        "sha256": item.sha256,
        "status": item.status.value,
        "result": item.result.model_dump_json() if item.result else None,
        "correction": _json(item.correction),
        "reviewed_at": item.reviewed_at,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def fresh(item: BatchItem) -> BatchItem:
    """A newly added item: always pending and without a result, whatever the caller passed."""
    return item.model_copy(update={"status": ItemStatus.PENDING, "result": None, "reviewed_at": None})


def item_from_record(record: dict[str, Any]) -> BatchItem:
    """A ``BatchItem`` from its record."""
    result = record.get("result")
    correction = record.get("correction")
    return BatchItem(
        batch_id=record["batch_id"],
        item_id=record["item_id"],
        source=record["source"],
        blob_key=record.get("blob_key"),
        sha256=record.get("sha256"),
        status=record["status"],
        result=ScanResult.model_validate_json(result) if result else None,
        correction=None if correction is None else _loads(correction),
        reviewed_at=record.get("reviewed_at"),
        created_at=record["created_at"],
        updated_at=record["updated_at"],
    )


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def _loads(text: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(text)
    return loaded
