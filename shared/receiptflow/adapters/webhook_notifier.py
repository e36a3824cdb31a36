"""``CompletionNotifier`` over HTTP: the signed ``batch.completed`` POST to a batch's ``webhook_url``.

Delivery is retried with exponential backoff (1 s, 2 s, 4 s, … capped at 60 s; ``Retry-After`` honoured up
to the cap) on network errors, timeouts, 408, 429 and 5xx, at most ``attempts`` times; any other 4xx is the
receiver refusing and is not retried. ``batch_completed`` hands the delivery to a small bounded background
pool so finishing a batch never waits for a slow receiver; ``deliver`` is the synchronous form (the AWS
webhook function calls it). Both modes use it: locally the batch runner's completion calls it, in AWS a
function on the ``BatchCompleted`` EventBridge event does (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from receiptflow import __version__
from receiptflow.models import Batch
from receiptflow.ports import BatchStore
from receiptflow.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, completion_payload, sign

logger = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_PENDING = 100


@dataclass(frozen=True)
class Delivery:
    """How one completion's delivery ended."""

    delivery_id: str
    delivered: bool
    attempts: int
    status: int | None  # the last HTTP status, None when the receiver was never reached
    error: str = ""

    @property
    def retryable(self) -> bool:
        """True when it failed for a reason a later attempt may cure: the receiver was not reached, or
        answered 408/425/429/5xx (a refusal, or nothing to deliver, is final)."""
        if self.delivered or self.attempts == 0:
            return False
        return self.status is None or self.status in _RETRY_STATUSES


class WebhookNotifier:
    """Signs and POSTs ``batch.completed`` to ``batch.options.webhook_url`` (batches without one: nothing).

    ``secret`` may be a callable, asked on the first delivery (so a server that never sends a webhook
    never makes a secret file)."""

    def __init__(
        self,
        secret: str | Callable[[], str],
        *,
        attempts: int = 6,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret_source = secret
        self._secret: str | None = None
        self._secret_lock = threading.Lock()
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._timeout_s = timeout_s
        self._transport = transport
        self._sleep = sleep
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="webhook")
        self._pending = threading.BoundedSemaphore(_MAX_PENDING)

    def batch_completed(self, batch: Batch, summary_key: str | None = None) -> None:
        """Deliver in the background; a full queue drops the delivery with a warning (never blocks)."""
        if not batch.options.webhook_url:
            return
        if not self._pending.acquire(blocking=False):
            logger.warning("webhook queue full; delivery dropped", extra={"batch_id": batch.batch_id})
            return
        future: Future[Delivery] = self._pool.submit(self.deliver, batch)
        future.add_done_callback(lambda _: self._pending.release())

    def deliver(self, batch: Batch, delivery_id: str | None = None) -> Delivery:
        """POST the signed completion now, retrying with backoff; returns how it ended."""
        url = batch.options.webhook_url
        delivery_id = delivery_id or completion_id(batch)
        if not url:
            return Delivery(delivery_id, delivered=False, attempts=0, status=None, error="no webhook_url")
        body = completion_payload(batch, delivery_id)
        secret = self.secret()
        status: int | None = None
        error = ""
        with httpx.Client(
            timeout=self._timeout_s, transport=self._transport, follow_redirects=False
        ) as client:
            for attempt in range(1, self._attempts + 1):
                headers = {
                    "Content-Type": "application/json",
                    "User-Agent": f"receiptflow-webhook/{__version__}",
                    SIGNATURE_HEADER: sign(secret, int(self._clock()), body),
                    DELIVERY_HEADER: delivery_id,
                }
                wait = self._backoff(attempt)
                try:
                    response = client.post(url, content=body, headers=headers)
                except httpx.HTTPError as e:
                    status, error = None, type(e).__name__
                else:
                    status, error = response.status_code, ""
                    if 200 <= status < 300:
                        return Delivery(delivery_id, delivered=True, attempts=attempt, status=status)
                    if status not in _RETRY_STATUSES:
                        error = f"refused with HTTP {status}"
                        break
                    wait = max(wait, min(_retry_after(response), self._max_backoff_s))
                if attempt < self._attempts:
                    self._sleep(wait)
        logger.warning(
            "webhook delivery failed",
            extra={"batch_id": batch.batch_id, "delivery_id": delivery_id, "status": status, "error": error},
        )
        return Delivery(delivery_id, delivered=False, attempts=attempt, status=status, error=error)

    def secret(self) -> str:
        """The signing secret (a callable source is asked once, on the first delivery)."""
        with self._secret_lock:
            if self._secret is None:
                source = self._secret_source
                secret = source() if callable(source) else source
                if not secret:
                    raise ValueError("a webhook secret is required")
                self._secret = secret
            return self._secret

    def _backoff(self, attempt: int) -> float:
        return float(min(self._backoff_s * 2 ** (attempt - 1), self._max_backoff_s))

    def close(self) -> None:
        """Wait for the deliveries in flight (bounded by their retries) and stop the pool."""
        self._pool.shutdown(wait=True)


def completion_id(batch: Batch) -> str:
    """The delivery id of one completion of ``batch``: the same for every attempt and every re-delivery of
    it (EventBridge retrying the function), new when a retried batch finishes again."""
    finished = batch.finished_at.isoformat() if batch.finished_at else ""
    return hashlib.sha256(f"{batch.batch_id}:{finished}".encode()).hexdigest()[:32]


def deliver_completed_event(
    detail: Mapping[str, Any], store: BatchStore, notifier: WebhookNotifier
) -> Delivery:
    """AWS: deliver the webhook of the batch a ``BatchCompleted`` EventBridge event (its ``detail``) names.
    A batch that is no longer final (retry-failed started it again before this ran) sends nothing now: it
    announces its next completion itself."""
    batch = store.get_batch(str(detail["tenant_id"]), str(detail["batch_id"]))
    if not batch.status.terminal:
        return Delivery(
            completion_id(batch),
            delivered=False,
            attempts=0,
            status=None,
            error=f"the batch is {batch.status}",
        )
    return notifier.deliver(batch)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(float(response.headers.get("Retry-After", "0")), 0.0)
    except ValueError:
        return 0.0
