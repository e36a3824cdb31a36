"""Completion notices on EventBridge: a ``BatchCompleted`` event (source ``receiptflow``) per finished
batch, for push notifications and other listeners."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import events_client
from receiptflow.errors import StoreUnavailableError
from receiptflow.models import Batch

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "receiptflow"
DETAIL_TYPE = "BatchCompleted"


def completed_detail(batch: Batch, summary_key: str | None) -> dict[str, object]:
    """The event detail: who, which batch, how it ended, where the summary is, and whether the batch has
    a completion webhook (``webhook``: the webhook function's rule matches on it; the URL stays out)."""
    return {
        "batch_id": batch.batch_id,
        "tenant_id": batch.tenant_id,
        "name": batch.name,
        "status": batch.status.value,
        "counts": batch.counts.model_dump(),
        "cost_usd": batch.cost_usd,
        "summary_key": summary_key,
        "webhook": bool(batch.options.webhook_url),
    }


class EventBridgeNotifier:
    """Puts ``BatchCompleted`` on ``event_bus_name``."""

    def __init__(self, event_bus_name: str, client: EventBridgeClient | None = None) -> None:
        self._bus = event_bus_name
        self._client = client

    def batch_completed(self, batch: Batch, summary_key: str | None) -> None:
        """Announce ``batch``; ``StoreUnavailableError`` if EventBridge refuses it (Finalize is retried)."""
        client = self._client or events_client()
        entry = {
            "Source": SOURCE,
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps(completed_detail(batch, summary_key)),
            "EventBusName": self._bus,
        }
        try:
            response = client.put_events(Entries=[entry])  # type: ignore[list-item]
        except (ClientError, BotoCoreError) as e:
            raise StoreUnavailableError(f"EventBridge put_events failed: {type(e).__name__}") from e
        if response.get("FailedEntryCount", 0):
            raise StoreUnavailableError(f"EventBridge rejected BatchCompleted: {response['Entries']}")
