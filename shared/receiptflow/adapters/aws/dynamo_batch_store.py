"""``BatchStore`` on DynamoDB: one partition per batch (a META record plus one record per item).

Item transitions and batch counters change in one ``TransactWriteItems`` conditioned on the item's status,
so a retried or duplicated worker can never count an item twice. Reads ignore records whose TTL
(``expires_at``) has passed, since DynamoDB deletes them lazily. Layout: docs/dynamodb.md.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_codec import from_attrs, to_attrs
from receiptflow.adapters.aws.dynamo_records import (
    CACHED_COUNTER,
    COST_ATTRIBUTE,
    COUNTER_FOR_STATUS,
    ITEM_STATUS_FOR_RESULT,
    SEQ_ATTRIBUTE,
    TOTAL_COUNTER,
    batch_field_value,
    batch_from_record,
    batch_record,
    fresh,
    item_from_record,
    item_record,
)
from receiptflow.adapters.aws.dynamo_table import CONDITION_FAILED, ConditionCheckFailedError, DynamoTable
from receiptflow.errors import ConflictError, NotFoundError
from receiptflow.models import Batch, BatchItem, BatchStatus, ItemStatus, ScanResult, utcnow

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_CHUNK = 50  # items per transaction (limits: 100 actions, 4 MB)
_PAGE = 100
_LIVE = f"(attribute_not_exists({keys.TTL_ATTRIBUTE}) OR {keys.TTL_ATTRIBUTE} > :now)"
_UNFINISHED = (ItemStatus.PENDING, ItemStatus.RUNNING)


def _chunks(items: Sequence[BatchItem]) -> list[list[BatchItem]]:
    return [list(items[start : start + _CHUNK]) for start in range(0, len(items), _CHUNK)]


def _moved(item: BatchItem, target: ItemStatus, now: dt.datetime) -> BatchItem:
    """``item`` after a transition to ``target`` (leaving a terminal status clears the result)."""
    update: dict[str, Any] = {"status": target, "updated_at": now}
    if item.status.terminal:
        update["result"] = None
        update["reviewed_at"] = None
    return item.model_copy(update=update)


class DynamoBatchStore:
    """Batches, items and results in the single receiptflow table."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        retention_days: float = 90.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = DynamoTable(table_name, client if client is not None else dynamodb_client())
        self._retention_seconds = retention_days * 86400
        self._clock = clock

    # --- batches -------------------------------------------------------------------------------
    def create_batch(self, batch: Batch) -> None:
        """Insert a new batch; ``ConflictError`` if a live batch has the id."""
        try:
            self._table.write(
                "put_item",
                Item=to_attrs(batch_record(batch, self._expires_at())),
                ConditionExpression=f"attribute_not_exists(pk) OR {keys.TTL_ATTRIBUTE} <= :now",
                ExpressionAttributeValues=to_attrs({":now": self._now()}),
            )
        except ConditionCheckFailedError as e:
            raise ConflictError(f"batch {batch.batch_id} already exists") from e

    def get_batch(self, tenant_id: str, batch_id: str) -> Batch:
        """The batch with live counts; another tenant's batch is reported missing."""
        record = self._live(self._table.get(keys.batch_key(batch_id)))
        if record is None or record.get("tenant_id") != tenant_id:
            raise NotFoundError(f"batch {batch_id} not found")
        return batch_from_record(record)

    def list_batches(self, tenant_id: str, limit: int = 50) -> list[Batch]:
        """The tenant's live batches, newest first (index ``gsi1``)."""
        request = {
            "IndexName": keys.GSI1,
            "KeyConditionExpression": "gsi1pk = :tenant",
            "ExpressionAttributeValues": to_attrs({":tenant": keys.tenant_gsi1pk(tenant_id)}),
            "ScanIndexForward": False,
            "Limit": max(limit, 1),
        }
        records = self._table.query(request, keep=self._is_live, limit=limit)
        return [batch_from_record(record) for record in records]

    def set_batch_status(
        self,
        batch_id: str,
        status: BatchStatus,
        *,
        expected: Sequence[BatchStatus] | None = None,
        **fields: Any,
    ) -> Batch:
        """Move the batch to ``status`` (plus extra columns); ``ConflictError`` when not in ``expected``."""
        values: dict[str, Any] = {":status": BatchStatus(status).value, ":now": self._now()}
        names = {"#status": "status"}
        sets = ["#status = :status"]
        removes: list[str] = []
        for index, (name, raw) in enumerate(sorted(fields.items())):
            value = batch_field_value(name, raw)
            names[f"#f{index}"] = name
            if value is None:
                removes.append(f"#f{index}")
            else:
                sets.append(f"#f{index} = :f{index}")
                values[f":f{index}"] = value
        condition = f"attribute_exists(pk) AND {_LIVE}"
        if expected is not None:
            if not expected:
                raise ConflictError(f"batch {batch_id}: no current status is acceptable")
            for index, state in enumerate(expected):
                values[f":e{index}"] = BatchStatus(state).value
            condition += f" AND #status IN ({', '.join(f':e{i}' for i in range(len(expected)))})"
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        try:
            response = self._table.write(
                "update_item",
                Key=to_attrs(keys.batch_key(batch_id)),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_attrs(values),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionCheckFailedError as e:
            old = self._live(e.old)
            if old is None:
                raise NotFoundError(f"batch {batch_id} not found") from e
            allowed = [str(s) for s in expected or []]
            raise ConflictError(f"batch {batch_id} is {old['status']}, expected one of {allowed}") from e
        return batch_from_record(from_attrs(response["Attributes"]))

    def next_seq(self, batch_id: str) -> int:
        """Next event sequence number of the batch (atomic ``ADD`` on the META record)."""
        try:
            response = self._table.write(
                "update_item",
                Key=to_attrs(keys.batch_key(batch_id)),
                UpdateExpression="ADD #seq :one",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#seq": SEQ_ATTRIBUTE},
                ExpressionAttributeValues=to_attrs({":one": 1}),
                ReturnValues="UPDATED_NEW",
            )
        except ConditionCheckFailedError as e:
            raise NotFoundError(f"batch {batch_id} not found") from e
        return int(from_attrs(response["Attributes"])[SEQ_ATTRIBUTE])

    # --- items ---------------------------------------------------------------------------------
    def add_items(self, items: Sequence[BatchItem]) -> int:
        """Add items as pending (idempotent per ``item_id``); ``total`` follows. Returns how many were new."""
        by_batch: dict[str, dict[str, BatchItem]] = defaultdict(dict)
        for item in items:
            by_batch[item.batch_id].setdefault(item.item_id, fresh(item))
        return sum(
            self._insert(batch_id, chunk)
            for batch_id, unique in by_batch.items()
            for chunk in _chunks(list(unique.values()))
        )

    def get_item(self, batch_id: str, item_id: str) -> BatchItem:
        """One item; ``NotFoundError`` when absent or expired."""
        record = self._live(self._table.get(keys.item_key(batch_id, item_id)))
        if record is None:
            raise NotFoundError(f"item {item_id} of batch {batch_id} not found")
        return item_from_record(record)

    def list_items(
        self,
        batch_id: str,
        *,
        status: ItemStatus | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> list[BatchItem]:
        """Items ordered by ``item_id``, starting after the ``after`` cursor."""
        return self._items(batch_id, () if status is None else (status,), after=after, limit=limit)

    def claim_item(self, batch_id: str, item_id: str) -> bool:
        """Pending → running; False when the item was not pending."""
        try:
            self._table.write(
                "update_item",
                Key=to_attrs(keys.item_key(batch_id, item_id)),
                UpdateExpression="SET #status = :running, updated_at = :updated",
                ConditionExpression=f"#status = :pending AND {_LIVE}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_attrs(
                    {
                        ":running": ItemStatus.RUNNING.value,
                        ":pending": ItemStatus.PENDING.value,
                        ":updated": utcnow(),
                        ":now": self._now(),
                    }
                ),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionCheckFailedError as e:
            if self._live(e.old) is None:
                raise NotFoundError(f"item {item_id} of batch {batch_id} not found") from e
            return False
        return True

    def finish_item(self, batch_id: str, item_id: str, result: ScanResult) -> bool:
        """Store the final result of a non-terminal item and bump the counters in one transaction;
        False (nothing changed) when the item was already terminal."""
        status = ITEM_STATUS_FOR_RESULT[result.status]
        counters: dict[str, Any] = {COUNTER_FOR_STATUS[status]: 1}
        sets = ["#status = :status", "#result = :result", "updated_at = :updated"]
        values: dict[str, Any] = {
            ":status": status.value,
            ":result": result.model_dump_json(),
            ":updated": utcnow(),
            ":pending": ItemStatus.PENDING.value,
            ":running": ItemStatus.RUNNING.value,
            ":now": self._now(),
        }
        if result.sha256:
            sets.append("sha256 = :sha256")
            values[":sha256"] = result.sha256
        if result.cached:
            counters[CACHED_COUNTER] = 1
        if result.cost_usd:
            counters[COST_ATTRIBUTE] = result.cost_usd
        item_update = self._table.update_action(
            keys.item_key(batch_id, item_id),
            "SET " + ", ".join(sets),
            condition=f"attribute_exists(pk) AND #status IN (:pending, :running) AND {_LIVE}",
            names={"#status": "status", "#result": "result"},
            values=values,
        )
        codes = self._table.transact([item_update, self._counters(batch_id, counters)])
        if not codes:
            return True
        if codes[1] == CONDITION_FAILED:
            raise NotFoundError(f"batch {batch_id} not found")
        self.get_item(batch_id, item_id)  # NotFoundError when the item itself is missing
        return False

    def cancel_pending(self, batch_id: str) -> int:
        """Mark every pending item cancelled (running ones finish); returns how many."""
        pending = self._items(batch_id, (ItemStatus.PENDING,))
        return len(self._transition(batch_id, pending, (ItemStatus.PENDING,), ItemStatus.CANCELLED))

    def cancel_unfinished(self, batch_id: str) -> int:
        """Mark every pending/running item cancelled (``cancelled`` follows); returns how many."""
        unfinished = self._items(batch_id, _UNFINISHED)
        return len(self._transition(batch_id, unfinished, _UNFINISHED, ItemStatus.CANCELLED))

    def release_running(self, batch_id: str) -> int:
        """Running → pending for items a crashed worker left behind; returns how many."""
        running = self._items(batch_id, (ItemStatus.RUNNING,))
        return len(self._transition(batch_id, running, (ItemStatus.RUNNING,), ItemStatus.PENDING))

    def reset_failed(self, batch_id: str) -> list[BatchItem]:
        """Failed → pending (result cleared, counters follow); returns the reset items."""
        failed = self._items(batch_id, (ItemStatus.FAILED,))
        return self._transition(batch_id, failed, (ItemStatus.FAILED,), ItemStatus.PENDING)

    def reset_cancelled(self, batch_id: str) -> list[BatchItem]:
        """Cancelled → pending (counters follow) so a resumed run scans them; returns them."""
        cancelled = self._items(batch_id, (ItemStatus.CANCELLED,))
        return self._transition(batch_id, cancelled, (ItemStatus.CANCELLED,), ItemStatus.PENDING)

    def set_correction(self, batch_id: str, item_id: str, correction: dict[str, Any]) -> BatchItem:
        """Store a user correction beside the machine result (both kept)."""
        holder = BatchItem(batch_id=batch_id, item_id=item_id, source="", correction=correction)
        try:
            response = self._table.write(
                "update_item",
                Key=to_attrs(keys.item_key(batch_id, item_id)),
                UpdateExpression="SET correction = :correction, updated_at = :updated",
                ConditionExpression=f"attribute_exists(pk) AND {_LIVE}",
                ExpressionAttributeValues=to_attrs(
                    {
                        ":correction": item_record(holder, 0)["correction"],
                        ":updated": utcnow(),
                        ":now": self._now(),
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ConditionCheckFailedError as e:
            raise NotFoundError(f"item {item_id} of batch {batch_id} not found") from e
        return item_from_record(from_attrs(response["Attributes"]))

    def set_reviewed(self, batch_id: str, item_id: str, reviewed: bool) -> BatchItem:
        """Mark the item reviewed (``reviewed_at`` = now) or not."""
        now = utcnow()
        update = "SET updated_at = :updated" + (
            ", reviewed_at = :updated" if reviewed else " REMOVE reviewed_at"
        )
        try:
            response = self._table.write(
                "update_item",
                Key=to_attrs(keys.item_key(batch_id, item_id)),
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(pk) AND {_LIVE}",
                ExpressionAttributeValues=to_attrs({":updated": now, ":now": self._now()}),
                ReturnValues="ALL_NEW",
            )
        except ConditionCheckFailedError as e:
            raise NotFoundError(f"item {item_id} of batch {batch_id} not found") from e
        return item_from_record(from_attrs(response["Attributes"]))

    # --- internals -----------------------------------------------------------------------------
    def _now(self) -> int:
        return int(self._clock())

    def _expires_at(self) -> int:
        return int(self._clock() + self._retention_seconds)

    def _is_live(self, record: dict[str, Any]) -> bool:
        expires_at = record.get(keys.TTL_ATTRIBUTE)
        return expires_at is None or float(expires_at) > self._clock()

    def _live(self, record: dict[str, Any] | None) -> dict[str, Any] | None:
        return record if record is not None and self._is_live(record) else None

    def _items(
        self,
        batch_id: str,
        statuses: Sequence[ItemStatus],
        *,
        after: str | None = None,
        limit: int | None = None,
    ) -> list[BatchItem]:
        """Live items in ``item_id`` order, optionally only those in ``statuses``, after a cursor."""
        values: dict[str, Any] = {
            ":pk": keys.batch_pk(batch_id),
            # BETWEEN is inclusive: the cursor item itself comes back and is dropped below.
            ":lo": keys.ITEM_SK_PREFIX if after is None else keys.item_sk(after),
            ":hi": keys.ITEM_SK_END,
        }
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ConsistentRead": True,
            "Limit": _PAGE,
        }
        if statuses:
            request["ExpressionAttributeNames"] = {"#status": "status"}
            values.update({f":s{i}": state.value for i, state in enumerate(statuses)})
            request["FilterExpression"] = f"#status IN ({', '.join(f':s{i}' for i in range(len(statuses)))})"
        request["ExpressionAttributeValues"] = to_attrs(values)

        def keep(record: dict[str, Any]) -> bool:
            return record["item_id"] != after and self._is_live(record)

        records = self._table.query(request, keep=keep, limit=limit if limit is not None else 2**62)
        return [item_from_record(record) for record in records]

    def _insert(self, batch_id: str, chunk: list[BatchItem]) -> int:
        """Put the new items of ``chunk`` and add them to ``total`` atomically; returns how many were new."""
        pending = chunk
        expires_at = self._expires_at()
        while pending:
            puts: list[dict[str, Any]] = [
                {
                    "Put": {
                        "TableName": self._table.name,
                        "Item": to_attrs(item_record(item, expires_at)),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for item in pending
            ]
            codes = self._table.transact([*puts, self._counters(batch_id, {TOTAL_COUNTER: len(pending)})])
            if not codes:
                return len(pending)
            if codes[-1] == CONDITION_FAILED:
                raise NotFoundError(f"batch {batch_id} not found")
            pending = [item for item, code in zip(pending, codes, strict=False) if code != CONDITION_FAILED]
        return 0

    def _transition(
        self, batch_id: str, items: list[BatchItem], source: Sequence[ItemStatus], target: ItemStatus
    ) -> list[BatchItem]:
        """Move each of ``items`` still in a ``source`` status to ``target``, the counters following in the
        same transaction (up to ``_CHUNK`` items each); returns the moved items as they are now.

        Leaving a terminal status takes the item off its counter (and ``cached``) and clears its result;
        items another worker moved meanwhile fail their condition and are left alone.
        """
        moved: list[BatchItem] = []
        now = utcnow()
        condition_values = {f":src{i}": state.value for i, state in enumerate(source)}
        condition = f"#status IN ({', '.join(condition_values)})"
        for chunk in _chunks(items):
            pending = chunk
            while pending:
                counters: dict[str, Any] = defaultdict(int)
                actions: list[dict[str, Any]] = []
                for item in pending:
                    update = "SET #status = :target, updated_at = :updated"
                    if item.status.terminal:
                        counters[COUNTER_FOR_STATUS[item.status]] -= 1
                        if item.result is not None and item.result.cached:
                            counters[CACHED_COUNTER] -= 1
                        update += " REMOVE #result, reviewed_at"
                    if target.terminal:
                        counters[COUNTER_FOR_STATUS[target]] += 1
                    actions.append(
                        self._table.update_action(
                            keys.item_key(batch_id, item.item_id),
                            update,
                            condition=condition,
                            names={
                                "#status": "status",
                                **({"#result": "result"} if "#result" in update else {}),
                            },
                            values={":target": target.value, ":updated": now, **condition_values},
                        )
                    )
                counts = {name: delta for name, delta in counters.items() if delta}
                codes = self._table.transact(
                    [*actions, self._counters(batch_id, counts)] if counts else actions
                )
                if not codes:
                    moved.extend(_moved(item, target, now) for item in pending)
                    break
                if counts and codes[-1] == CONDITION_FAILED:
                    raise NotFoundError(f"batch {batch_id} not found")
                pending = [
                    item for item, code in zip(pending, codes, strict=False) if code != CONDITION_FAILED
                ]
        return moved

    def _counters(self, batch_id: str, counters: dict[str, Any]) -> dict[str, Any]:
        """Transaction action adding ``counters`` (name → delta) to the batch's META record."""
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        return self._table.update_action(
            keys.batch_key(batch_id),
            f"ADD {adds}",
            condition="attribute_exists(pk)",
            names={f"#c{i}": name for i, name in enumerate(counters)},
            values={f":c{i}": delta for i, delta in enumerate(counters.values())},
        )
