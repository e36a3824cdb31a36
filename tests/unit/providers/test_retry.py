"""Unit: retries with full-jitter backoff, bounded by attempts and a deadline."""

from __future__ import annotations

import pytest
from receiptflow.errors import (
    CircuitOpenError,
    ProviderThrottledError,
    ProviderUnavailableError,
    UnreadableDocumentError,
)
from receiptflow.providers.retry import RetryPolicy, call_with_retry

from tests.support.clock import FakeClock


class Flaky:
    """Raises the given errors in turn, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_throttled_twice_then_success() -> None:
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=4, base_seconds=0.5, max_wait_seconds=8, sleep=sleeps.append)
    fn = Flaky(ProviderThrottledError("slow down"), ProviderThrottledError("slow down"))
    assert call_with_retry(fn, policy) == ("ok", 3)
    assert len(sleeps) == 2
    # full jitter: each wait is random in [0, base * 2**n]
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0


def test_attempts_are_bounded_and_counted_on_the_error() -> None:
    policy = RetryPolicy(attempts=3, sleep=lambda _: None)
    fn = Flaky(*[ProviderUnavailableError("down") for _ in range(5)])
    with pytest.raises(ProviderUnavailableError) as caught:
        call_with_retry(fn, policy)
    assert fn.calls == 3
    assert caught.value.attempts == 3


@pytest.mark.parametrize("error", [UnreadableDocumentError("garbage"), CircuitOpenError("open")])
def test_never_retried(error: Exception) -> None:
    fn = Flaky(error)
    with pytest.raises(type(error)):
        call_with_retry(fn, RetryPolicy(attempts=5, sleep=lambda _: None))
    assert fn.calls == 1


def test_deadline_stops_retrying_before_it_is_passed() -> None:
    # GIVEN each attempt takes 4 s on the clock and the deadline is 10 s
    clock = FakeClock(0.0)

    def slow_failure() -> str:
        clock.advance(4.0)
        raise ProviderThrottledError("slow down")

    policy = RetryPolicy(
        attempts=100,
        deadline_seconds=10.0,
        base_seconds=0.01,
        max_wait_seconds=0.01,
        sleep=clock.advance,
        clock=clock,
    )
    with pytest.raises(ProviderThrottledError) as caught:
        call_with_retry(slow_failure, policy)
    # THEN 3 attempts (0-4, 4-8, 8-12 s would start before 10 s; a 4th would start after 12 s)
    assert caught.value.attempts == 3
    assert clock() <= 12.1
