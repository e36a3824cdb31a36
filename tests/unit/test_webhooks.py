"""Webhook signing, verification, URL rules and payload (pure functions)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError
from receiptflow.models import Batch, BatchCounts, BatchOptions, BatchStatus
from receiptflow.webhooks import (
    WebhookSignatureError,
    check_webhook_url,
    completion_payload,
    sign,
    verify,
)

SECRET = "whsec_test"
NOW = 1_767_225_600


def test_a_signature_verifies_and_any_change_breaks_it() -> None:
    body = b'{"batch_id":"b1"}'
    header = sign(SECRET, NOW, body)
    assert header.startswith(f"t={NOW},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, body, now=NOW + 10) == NOW
    for bad_secret, bad_body, bad_header in [
        ("other", body, header),
        (SECRET, body + b" ", header),
        (SECRET, body, header.replace(f"t={NOW}", f"t={NOW + 1}")),
        (SECRET, body, f"t={NOW}"),
        (SECRET, body, "v1=abc"),
        (SECRET, body, "garbage"),
    ]:
        with pytest.raises(WebhookSignatureError):
            verify(bad_secret, bad_header, bad_body, now=NOW)


def test_old_or_future_timestamps_are_refused() -> None:
    body = b"{}"
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify(SECRET, sign(SECRET, NOW, body), body, now=NOW + 301)
    with pytest.raises(WebhookSignatureError, match="tolerance"):
        verify(SECRET, sign(SECRET, NOW + 400, body), body, now=NOW)


@pytest.mark.parametrize(
    "url",
    ["https://api.example.com/hooks", "http://localhost:8080/h", "http://127.0.0.1/h", "http://[::1]:9/h",
     "https://10.0.0.5/internal"],
)  # fmt: skip
def test_accepted_urls(url: str) -> None:
    assert check_webhook_url(url) == url
    assert BatchOptions(webhook_url=url).webhook_url == url


@pytest.mark.parametrize(
    ("url", "why"),
    [("http://example.com/h", "https"), ("ftp://example.com/h", "https"), ("/relative", "https"),
     ("https://user:pw@example.com/h", "password"), ("http://169.254.169.254/latest", "https"),
     ("http://localhost.evil.com/h", "https"), ("javascript:alert(1)", "https")],
)  # fmt: skip
def test_refused_urls(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_webhook_url(url)
    with pytest.raises(ValidationError):
        BatchOptions(webhook_url=url)


def test_payload_says_which_batch_finished_how_without_receipt_data() -> None:
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    batch = Batch(
        batch_id="b1",
        tenant_id="t",
        name="March",
        status=BatchStatus.PARTIALLY_FAILED,
        counts=BatchCounts(total=4, succeeded=3, failed=1),
        started_at=start,
        finished_at=start + dt.timedelta(seconds=28.4),
    )
    data = json.loads(completion_payload(batch, "d1"))
    assert data["type"] == "batch.completed" and data["delivery_id"] == "d1"
    assert (data["batch_id"], data["status"], data["duration_s"]) == ("b1", "partially_failed", 28.4)
    assert data["counts"]["failed"] == 1 and data["results"] == "/v1/batches/b1/results"
    assert "tenant_id" not in data
