"""``ResultCache`` on DynamoDB: one ``CACHE#<key>`` record per content hash, expiring through TTL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_codec import to_attrs
from receiptflow.adapters.aws.dynamo_table import DynamoTable
from receiptflow.models import ScanResult

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoResultCache:
    """Content-hash cache of scan results; an entry past its ``expires_at`` is never served."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._table = DynamoTable(table_name, client if client is not None else dynamodb_client())
        self._clock = clock

    def get(self, key: str) -> ScanResult | None:
        """The cached result, or None when absent or expired (TTL deletion is lazy, so check here)."""
        record = self._table.get(keys.cache_key(key), consistent=False)
        if record is None or float(record[keys.TTL_ATTRIBUTE]) <= self._clock():
            return None
        return ScanResult.model_validate_json(record["result"])

    def put(self, key: str, result: ScanResult, ttl_seconds: int) -> None:
        """Store ``result`` for ``ttl_seconds`` (TTL attribute in whole epoch seconds, rounded down)."""
        record = {
            **keys.cache_key(key),
            keys.TTL_ATTRIBUTE: int(self._clock() + ttl_seconds),
            "entity": "cache",
            "result": result.model_dump_json(),
        }
        self._table.write("put_item", Item=to_attrs(record))
