"""Retries of provider calls: tenacity, exponential backoff with full jitter, bounded by attempts and a
deadline.

Only ``ProviderError``s that say ``retryable`` are retried (throttled, unavailable, timed out). An open
circuit is not retried: the breaker already knows the provider is down, so the chain moves on at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential
from tenacity.stop import stop_base

from receiptflow.errors import CircuitOpenError, ProviderError
from receiptflow.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. ``sleep`` and ``clock`` are injectable for tests."""

    attempts: int = 4
    deadline_seconds: float = 60.0
    base_seconds: float = 0.5
    max_wait_seconds: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> RetryPolicy:
        """The policy ``settings`` describe."""
        return cls(
            attempts=max(1, settings.retry_attempts),
            deadline_seconds=settings.provider_deadline_seconds,
            base_seconds=settings.retry_base_seconds,
            max_wait_seconds=settings.retry_max_wait_seconds,
            sleep=sleep,
            clock=clock,
        )


def is_retryable(error: BaseException) -> bool:
    """True for transient provider errors worth another attempt (never for an open circuit)."""
    return isinstance(error, ProviderError) and error.retryable and not isinstance(error, CircuitOpenError)


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy) -> tuple[T, int]:
    """Call ``fn`` until it succeeds, a non-retryable error occurs, attempts run out, or the next wait would
    pass the deadline. Returns ``(result, attempts)``; a final ``ProviderError`` carries ``attempts``."""
    attempts = 0

    def counted() -> T:
        nonlocal attempts
        attempts += 1
        return fn()

    retrying = Retrying(
        sleep=policy.sleep,
        stop=stop_after_attempt(policy.attempts) | _StopAtDeadline(policy),
        wait=wait_random_exponential(multiplier=policy.base_seconds, max=policy.max_wait_seconds),
        retry=retry_if_exception(is_retryable),
        reraise=True,
    )
    try:
        result = retrying(counted)
    except ProviderError as error:
        error.attempts = attempts
        raise
    return result, attempts


class _StopAtDeadline(stop_base):
    """Stop when the next wait would end past the deadline (measured on the policy's clock)."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.policy = policy
        self.started = policy.clock()

    def __call__(self, retry_state: RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep or 0.0
        return self.policy.clock() - self.started + upcoming >= self.policy.deadline_seconds
