"""Plain Python values ↔ DynamoDB attribute values (low-level client format), Decimal-safe."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    """Values TypeSerializer accepts: floats become Decimals, datetimes ISO strings."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def to_attr(value: Any) -> dict[str, Any]:
    """One Python value as a DynamoDB attribute value."""
    serialized: dict[str, Any] = dict(_serializer.serialize(_plain(value)))
    return serialized


def to_attrs(values: Mapping[str, Any]) -> dict[str, Any]:
    """A record as DynamoDB attribute values; ``None`` values are left out (absent attribute)."""
    return {name: to_attr(value) for name, value in values.items() if value is not None}


def from_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A DynamoDB record as plain Python values (numbers come back as ``Decimal``)."""
    return {name: _deserializer.deserialize(value) for name, value in attrs.items()}


def epoch(value: Any) -> float | None:
    """A stored epoch-seconds number as a float (None when absent)."""
    return None if value is None else float(value)
