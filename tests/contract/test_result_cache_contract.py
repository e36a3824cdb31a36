"""Contract of ``ports.ResultCache``, run against SQLite (embedded) and DynamoDB (AWS, under moto)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from receiptflow.adapters.aws import dynamo_keys as keys
from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.adapters.aws.dynamo_cache import DynamoResultCache
from receiptflow.models import DateField, LineItem, MoneyField, Receipt, ScanResult, ScanStatus, TextField
from receiptflow.ports import ResultCache

from tests.support.backends import BACKENDS, AwsResources, build, embedded_class
from tests.support.clock import FakeClock

KEY = "sha256:" + "0f" * 32 + ":textract"
DAY = 86400


@pytest.fixture(params=BACKENDS)
def cache(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[ResultCache]:
    """A fresh cache of each kind, reading time from ``clock``."""
    if request.param == "embedded":
        cls = embedded_class("receiptflow.adapters.embedded.cache", "SqliteResultCache")
        yield build(cls, tmp_path / "receiptflow.db", clock=clock)
    else:
        aws: AwsResources = request.getfixturevalue("aws")
        yield DynamoResultCache(aws.table, clock=clock)


def result(total: str = "1810.46") -> ScanResult:
    receipt = Receipt(
        vendor_name=TextField(value="MEGA MARKET PLUS", text="MEGA MARKET PLUS", confidence=0.99),
        date=DateField.model_validate({"value": "2019-12-07", "text": "12/07/2019", "confidence": 0.95}),
        total=MoneyField(value=Decimal(total), text=f"${total}", confidence=0.9, currency="USD"),
        line_items=[
            LineItem(description="TV", quantity=Decimal(1), amount=Decimal("899.99"), confidence=0.8)
        ],
        provider="textract",
    )
    return ScanResult(
        source="mega.jpg", sha256="0f" * 32, status=ScanStatus.OK, receipt=receipt, provider="textract"
    )


def test_absent_key_is_a_miss(cache: ResultCache) -> None:
    assert cache.get(KEY) is None


def test_stored_result_reads_back_exactly(cache: ResultCache) -> None:
    stored = result()
    cache.put(KEY, stored, ttl_seconds=7 * DAY)

    got = cache.get(KEY)

    assert got is not None
    assert got.model_dump() == stored.model_dump()
    assert got.receipt is not None and got.receipt.total.value == Decimal("1810.46")


def test_put_replaces_the_entry(cache: ResultCache) -> None:
    cache.put(KEY, result("1.00"), ttl_seconds=DAY)
    cache.put(KEY, result("2.00"), ttl_seconds=DAY)

    got = cache.get(KEY)

    assert got is not None and got.receipt is not None and got.receipt.total.value == Decimal("2.00")


def test_keys_are_independent(cache: ResultCache) -> None:
    cache.put(KEY, result("1.00"), ttl_seconds=DAY)

    assert cache.get(KEY + "x") is None
    assert cache.get(KEY.replace("textract", "openai")) is None


def test_entry_is_served_until_its_ttl_and_never_after(cache: ResultCache, clock: FakeClock) -> None:
    cache.put(KEY, result(), ttl_seconds=60)

    clock.advance(58)
    assert cache.get(KEY) is not None
    clock.advance(3)
    assert cache.get(KEY) is None


def test_zero_ttl_entry_is_never_served(cache: ResultCache) -> None:
    cache.put(KEY, result(), ttl_seconds=0)

    assert cache.get(KEY) is None


# --- AWS side only ------------------------------------------------------------------------------
def test_aws_entry_carries_the_ttl_attribute(aws: AwsResources, clock: FakeClock) -> None:
    DynamoResultCache(aws.table, clock=clock).put(KEY, result(), ttl_seconds=7 * DAY)

    record = dynamodb_client().get_item(
        TableName=aws.table, Key={k: {"S": v} for k, v in keys.cache_key(KEY).items()}
    )

    assert int(record["Item"]["expires_at"]["N"]) == int(clock() + 7 * DAY)


def test_aws_expired_entry_left_by_lazy_ttl_is_not_served(aws: AwsResources, clock: FakeClock) -> None:
    # GIVEN an entry whose TTL passed an hour ago that DynamoDB has not deleted yet (written raw)
    dynamodb_client().put_item(
        TableName=aws.table,
        Item={
            **{k: {"S": v} for k, v in keys.cache_key(KEY).items()},
            "expires_at": {"N": str(int(clock() - 3600))},
            "result": {"S": result().model_dump_json()},
        },
    )

    assert DynamoResultCache(aws.table, clock=clock).get(KEY) is None
