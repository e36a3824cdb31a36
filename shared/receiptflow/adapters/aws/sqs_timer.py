"""``FolderTimer`` on an SQS delay queue: each tick is one message with ``DelaySeconds``; the queue's event
source mapping hands it back to the ingest function when the delay is over (at least once; a message that
keeps failing goes to the queue's dead-letter queue, which alarms). docs/decisions.md says why SQS and not
EventBridge Scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import sqs_client
from receiptflow.errors import StoreUnavailableError
from receiptflow.ports import FolderTick

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds


class SqsFolderTimer:
    """Sends drop-folder ticks to ``queue_url`` with a delay."""

    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._queue_url = queue_url
        self._client = client

    def schedule(self, tick: FolderTick, delay_seconds: int) -> None:
        """Send ``tick`` to arrive in ``delay_seconds`` (0 to 900); ``StoreUnavailableError`` when SQS
        refuses, so the object event is retried and the timer set again."""
        delay = min(max(int(delay_seconds), 0), MAX_DELAY_SECONDS)
        client = self._client or sqs_client()
        try:
            client.send_message(QueueUrl=self._queue_url, MessageBody=tick.to_json(), DelaySeconds=delay)
        except (ClientError, BotoCoreError) as e:
            raise StoreUnavailableError(
                f"SQS send_message to the folder timer failed: {type(e).__name__}"
            ) from e
