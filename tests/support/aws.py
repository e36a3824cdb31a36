"""moto 5 set-up shared by contract and end-to-end tests.

``mocked_aws(monkeypatch)`` gives fake credentials and a region, resets the cached client factories, starts
``mock_aws`` and serialises mocked requests. Real DynamoDB applies each request atomically, but moto's
in-process backend does not (``TransactWriteItems`` snapshots and restores whole tables, which would undo
another thread's write), so concurrent tests would measure moto instead of our conditional writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from moto import mock_aws
from moto.core.botocore_stubber import BotocoreStubber
from receiptflow.adapters.aws.clients import clear_clients

REGION = "us-east-1"


@contextmanager
def mocked_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run the block against moto with one request processed at a time."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    lock = threading.RLock()
    process = BotocoreStubber.process_request

    def serialised(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return process(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)
    clear_clients()
    try:
        with mock_aws():
            yield
    finally:
        clear_clients()
