"""Per-tenant request rate limiting: a token bucket per tenant, refilled continuously."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from receiptflow.errors import RateLimitedError


class RateLimiter:
    """Allows ``per_minute`` requests per tenant on average, with bursts up to ``per_minute``.

    In-process state: exact for ``receiptflow serve`` (one process); per warm container in Lambda, where
    API Gateway's own throttling is the hard limit.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(max(per_minute, 1))
        self._rate = self._capacity / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, tenant: str) -> None:
        """Take one token for ``tenant``; ``RateLimitedError`` (with ``retry_after``) when none is left."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(tenant, (self._capacity, now))
            tokens = min(self._capacity, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._buckets[tenant] = (tokens, now)
                raise RateLimitedError(
                    f"more than {int(self._capacity)} requests per minute",
                    retry_after=(1.0 - tokens) / self._rate,
                )
            self._buckets[tenant] = (tokens - 1.0, now)
