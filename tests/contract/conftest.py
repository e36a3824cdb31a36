"""Contract-suite fixtures: each port's suite runs against the embedded adapter and the AWS adapter.

AWS adapters run under moto 5 (``mock_aws``) with the table and bucket created from ``template.yaml``.
Embedded adapters are imported lazily; a missing module or class skips its parametrisation with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from receiptflow.adapters.aws.clients import dynamodb_client, s3_client

from tests.support.aws import mocked_aws
from tests.support.backends import AwsResources
from tests.support.clock import FakeClock
from tests.support.template import create_buckets_from_template, create_tables_from_template


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsResources]:
    """moto with ``ReceiptflowTable`` and ``ReceiptsBucket`` created from ``template.yaml``."""
    with mocked_aws(monkeypatch):
        tables = create_tables_from_template(dynamodb_client())
        buckets = create_buckets_from_template(s3_client())
        yield AwsResources(table=tables["ReceiptflowTable"], bucket=buckets["ReceiptsBucket"])


@pytest.fixture
def clock() -> FakeClock:
    """Time the adapters see (epoch seconds), moved only by the test."""
    return FakeClock()
