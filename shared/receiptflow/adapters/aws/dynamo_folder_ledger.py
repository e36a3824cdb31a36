"""``FolderLedger`` on DynamoDB: the drop folders' bookkeeping in the single receiptflow table.

One partition per folder (``FOLDER#<tenant>/<folder>``; tenants have no ``/``):

- ``STATE``: ``token``, the folder's latest activity (a new random token per object event), and
  ``first_at``, when that activity began (removed when a close settles it);
- ``CLOSE#<close id>``: ``state`` ``claiming`` or ``frozen``;
- ``OBJ#<name>``: ``close_id`` and ``etag`` of the close that holds the object (in that version).

A claim is one ``TransactWriteItems``: a ``ConditionCheck`` that the close is still ``claiming`` plus one
conditional ``Put`` per object (absent, already this close's, or another version), so once a close is
frozen no claim for it can succeed, and its claims read after the freeze are final. Every record carries
the table's TTL (``expires_at``): the drop folder's objects expire after 30 days (template lifecycle), the
records after ``retention_days``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_codec import to_attrs
from receiptflow.adapters.aws.dynamo_table import CONDITION_FAILED, ConditionCheckFailedError, DynamoTable
from receiptflow.ports import CloseState, FolderClaim, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

STATE_SK = "STATE"
CLOSE_PREFIX = "CLOSE#"
OBJECT_PREFIX = "OBJ#"
_CHUNK = 50  # claims per transaction (limit: 100 actions)


def folder_pk(tenant_id: str, folder: str) -> str:
    """Partition of one drop folder."""
    return f"FOLDER#{tenant_id}/{folder}"


class DynamoFolderLedger:
    """Drop-folder tokens, closes and claims in ``table_name``."""

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

    def _key(self, tenant_id: str, folder: str, sk: str) -> dict[str, str]:
        return {keys.PK: folder_pk(tenant_id, folder), keys.SK: sk}

    def _expires_at(self) -> int:
        return int(self._clock() + self._retention_seconds)

    # --- activity ------------------------------------------------------------------------------
    def touch(self, tenant_id: str, folder: str) -> str:
        """A new latest-activity token for the folder."""
        token = uuid.uuid4().hex
        self._table.write(
            "update_item",
            Key=to_attrs(self._key(tenant_id, folder, STATE_SK)),
            UpdateExpression="SET #token = :token, touched_at = :now, #ttl = :ttl, "
            "first_at = if_not_exists(first_at, :now)",
            ExpressionAttributeNames={"#token": "token", "#ttl": keys.TTL_ATTRIBUTE},
            ExpressionAttributeValues=to_attrs(
                {":token": token, ":now": int(self._clock()), ":ttl": self._expires_at()}
            ),
        )
        return token

    def latest(self, tenant_id: str, folder: str) -> str | None:
        """The folder's latest activity token."""
        record = self._table.get(self._key(tenant_id, folder, STATE_SK))
        return str(record["token"]) if record and "token" in record else None

    def active_since(self, tenant_id: str, folder: str) -> float | None:
        """When the folder's current activity began."""
        record = self._table.get(self._key(tenant_id, folder, STATE_SK))
        return float(record["first_at"]) if record and "first_at" in record else None

    def settle(self, tenant_id: str, folder: str, before: float) -> None:
        """Forget the activity's start if it began before ``before``."""
        try:
            self._table.write(
                "update_item",
                Key=to_attrs(self._key(tenant_id, folder, STATE_SK)),
                UpdateExpression="REMOVE first_at",
                ConditionExpression="first_at <= :before",
                ExpressionAttributeValues=to_attrs({":before": int(before)}),
            )
        except ConditionCheckFailedError:  # began since (or already settled): it stays
            return

    # --- closes --------------------------------------------------------------------------------
    def open_close(self, tenant_id: str, folder: str, close_id: str) -> CloseState:
        """Record the close (``claiming``) unless it exists; its state."""
        record = {
            **self._key(tenant_id, folder, CLOSE_PREFIX + close_id),
            "state": CloseState.CLAIMING.value,
            "opened_at": int(self._clock()),
            keys.TTL_ATTRIBUTE: self._expires_at(),
        }
        try:
            self._table.write(
                "put_item",
                Item=to_attrs(record),
                ConditionExpression=f"attribute_not_exists({keys.PK})",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ConditionCheckFailedError as e:
            return CloseState(str((e.old or {}).get("state", CloseState.CLAIMING.value)))
        return CloseState.CLAIMING

    def close_state(self, tenant_id: str, folder: str, close_id: str) -> CloseState | None:
        """The close's state, or None."""
        record = self._table.get(self._key(tenant_id, folder, CLOSE_PREFIX + close_id))
        return CloseState(str(record["state"])) if record else None

    def freeze(self, tenant_id: str, folder: str, close_id: str) -> None:
        """claiming → frozen (a frozen close stays frozen)."""
        self._table.write(
            "update_item",
            Key=to_attrs(self._key(tenant_id, folder, CLOSE_PREFIX + close_id)),
            UpdateExpression="SET #state = :frozen",
            ConditionExpression=f"attribute_exists({keys.PK})",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_attrs({":frozen": CloseState.FROZEN.value}),
        )

    # --- claims --------------------------------------------------------------------------------
    def claims(self, tenant_id: str, folder: str) -> dict[str, FolderClaim]:
        """Every claimed object of the folder, by name."""
        return {
            str(r[keys.SK])[len(OBJECT_PREFIX) :]: FolderClaim(str(r["close_id"]), str(r["etag"]))
            for r in self._objects(tenant_id, folder)
        }

    def claimed(self, tenant_id: str, folder: str, close_id: str) -> list[str]:
        """The names the close holds, sorted."""
        return sorted(
            str(r[keys.SK])[len(OBJECT_PREFIX) :]
            for r in self._objects(tenant_id, folder)
            if r.get("close_id") == close_id
        )

    def claim(self, tenant_id: str, folder: str, close_id: str, objects: Sequence[StoredObject]) -> bool:
        """Claim ``objects`` for a claiming close (see the module docstring); False once it is frozen."""
        pending = list(objects)
        while pending:
            chunk, pending = pending[:_CHUNK], pending[_CHUNK:]
            while chunk:
                codes = self._table.transact(
                    [self._still_claiming(tenant_id, folder, close_id)]
                    + [self._put_claim(tenant_id, folder, close_id, obj) for obj in chunk]
                )
                if not codes:
                    break
                if codes[0] == CONDITION_FAILED:
                    return False
                # held by another close in this version: leave those, claim the rest
                chunk = [obj for obj, code in zip(chunk, codes[1:], strict=True) if code != CONDITION_FAILED]
        return True

    def _still_claiming(self, tenant_id: str, folder: str, close_id: str) -> dict[str, Any]:
        return {
            "ConditionCheck": {
                "TableName": self._table.name,
                "Key": to_attrs(self._key(tenant_id, folder, CLOSE_PREFIX + close_id)),
                "ConditionExpression": "#state = :claiming",
                "ExpressionAttributeNames": {"#state": "state"},
                "ExpressionAttributeValues": to_attrs({":claiming": CloseState.CLAIMING.value}),
            }
        }

    def _put_claim(self, tenant_id: str, folder: str, close_id: str, obj: StoredObject) -> dict[str, Any]:
        record = {
            **self._key(tenant_id, folder, OBJECT_PREFIX + obj.key),
            "close_id": close_id,
            "etag": obj.etag,
            "claimed_at": int(self._clock()),
            keys.TTL_ATTRIBUTE: self._expires_at(),
        }
        return {
            "Put": {
                "TableName": self._table.name,
                "Item": to_attrs(record),
                "ConditionExpression": f"attribute_not_exists({keys.PK}) OR close_id = :me OR etag <> :etag",
                "ExpressionAttributeValues": to_attrs({":me": close_id, ":etag": obj.etag}),
            }
        }

    def _objects(self, tenant_id: str, folder: str) -> list[dict[str, Any]]:
        request = {
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "ExpressionAttributeNames": {"#pk": keys.PK, "#sk": keys.SK},
            "ExpressionAttributeValues": to_attrs(
                {":pk": folder_pk(tenant_id, folder), ":prefix": OBJECT_PREFIX}
            ),
            "ConsistentRead": True,
        }
        return self._table.query(request, keep=lambda record: True, limit=1 << 62)
