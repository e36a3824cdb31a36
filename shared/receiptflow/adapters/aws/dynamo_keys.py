"""Key layout of the single receiptflow table (see docs/dynamodb.md).

``pk``/``sk`` is the primary key, ``gsi1pk``/``gsi1sk`` the tenant listing index, ``expires_at`` the TTL
attribute (epoch seconds). Every entity sharing the table builds its keys here.
"""

from __future__ import annotations

import datetime as dt

PK = "pk"
SK = "sk"
GSI1 = "gsi1"
GSI1_PK = "gsi1pk"
GSI1_SK = "gsi1sk"
TTL_ATTRIBUTE = "expires_at"

BATCH_META_SK = "META"
ITEM_SK_PREFIX = "ITEM#"
# The first string after every "ITEM#..." sort key: "$" follows "#" in byte order.
ITEM_SK_END = "ITEM$"


def batch_pk(batch_id: str) -> str:
    """Partition of one batch: its META record and all its items."""
    return f"BATCH#{batch_id}"


def batch_key(batch_id: str) -> dict[str, str]:
    """Key of a batch's META record (status, counters, seq)."""
    return {PK: batch_pk(batch_id), SK: BATCH_META_SK}


def item_sk(item_id: str) -> str:
    """Sort key of one item; items sort by ``item_id`` (byte order, like SQLite's BINARY collation)."""
    return f"{ITEM_SK_PREFIX}{item_id}"


def item_key(batch_id: str, item_id: str) -> dict[str, str]:
    """Key of one batch item."""
    return {PK: batch_pk(batch_id), SK: item_sk(item_id)}


def tenant_gsi1pk(tenant_id: str) -> str:
    """Index partition listing one tenant's batches."""
    return f"TENANT#{tenant_id}"


def tenant_gsi1sk(created_at: dt.datetime, batch_id: str) -> str:
    """Index sort key: UTC creation time (fixed-width ISO 8601, so it sorts by time), then the id."""
    created = created_at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return f"{created}#{batch_id}"


def cache_key(key: str) -> dict[str, str]:
    """Key of one content-hash cache entry."""
    return {PK: f"CACHE#{key}", SK: "CACHE"}


def breaker_key(name: str) -> dict[str, str]:
    """Key of one provider's circuit-breaker state (written by the breaker store)."""
    return {PK: f"BREAKER#{name}", SK: "STATE"}
