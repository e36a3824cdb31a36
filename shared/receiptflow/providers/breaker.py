"""A circuit breaker per provider whose state lives in a shared ``BreakerStore``, so every worker thread,
process and Lambda sees the same circuit.

- CLOSED: calls pass. Failures are counted in a fixed window (``window_seconds`` from the first failure);
  ``failure_threshold`` failures in one window open the circuit.
- OPEN: calls are rejected at once with ``CircuitOpenError`` until ``cooldown_seconds`` have passed.
- After the cool-down exactly one caller wins the compare-and-set OPEN → HALF_OPEN and becomes the probe;
  every other caller is still rejected. The probe's success closes the circuit, its failure re-opens it.
  A probe that never reports (its worker died) is replaced after ``probe_timeout_seconds``.

Only evidence that the provider is down counts as a failure: ``ProviderUnavailableError`` (5xx,
connection errors) and ``ProviderTimeoutError``. Every other outcome means the provider answered and counts
as a success: a bad image (``UnreadableDocumentError``), throttling (``ProviderThrottledError`` is
backpressure: the provider is up and asks us to slow down), a configuration problem (``ProviderConfigError``:
waiting would not cure it, and an open circuit would hide it), or any other error. If the store itself is
unavailable the breaker fails open (calls pass) rather than taking the provider down with it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NoReturn, TypeVar

from receiptflow.errors import (
    CircuitOpenError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    StoreUnavailableError,
)
from receiptflow.ports import BreakerPhase, BreakerState, BreakerStore

T = TypeVar("T")
logger = logging.getLogger(__name__)
_CAS_ROUNDS = 50


def counts_as_failure(error: BaseException) -> bool:
    """True when ``error`` is evidence that the provider is down (see the module docstring)."""
    return isinstance(error, ProviderUnavailableError | ProviderTimeoutError) and not isinstance(
        error, CircuitOpenError
    )


@dataclass(frozen=True)
class Permit:
    """Permission for one call; ``probe`` is True for the single half-open trial call."""

    probe: bool = False


class CircuitBreaker:
    """Shared-state circuit breaker for the provider ``name``."""

    def __init__(
        self,
        name: str,
        store: BreakerStore,
        *,
        failure_threshold: int,
        window_seconds: float,
        cooldown_seconds: float,
        probe_timeout_seconds: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.store = store
        self.failure_threshold = max(1, failure_threshold)
        self.window_seconds = window_seconds
        self.cooldown_seconds = cooldown_seconds
        self.probe_timeout_seconds = probe_timeout_seconds if probe_timeout_seconds is not None else 60.0
        self.clock = clock
        self._lock = threading.Lock()
        self._counters = {"allowed": 0, "rejected": 0, "probes": 0, "successes": 0, "failures": 0}

    # --- the calls ---------------------------------------------------------------------------------
    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` through the breaker: reject if open, record whether the provider was reachable."""
        permit = self.acquire()
        try:
            result = fn()
        except Exception as error:
            if counts_as_failure(error):
                self.record_failure(permit)
            else:
                self.record_success(permit)  # the provider answered (bad image, throttled, refused, ...)
            raise
        self.record_success(permit)
        return result

    def acquire(self) -> Permit:
        """A permit for one call, or ``CircuitOpenError`` while the circuit is open or probing."""
        try:
            permit = self._acquire()
        except StoreUnavailableError as error:
            logger.warning(
                "breaker store unavailable, failing open", extra={"breaker": self.name, "error": str(error)}
            )
            permit = Permit()
        self._count("probes" if permit.probe else "allowed")
        return permit

    def _acquire(self) -> Permit:
        for _ in range(_CAS_ROUNDS):
            state = self.store.load(self.name)
            now = self.clock()
            if state.phase is BreakerPhase.CLOSED:
                return Permit()
            if state.phase is BreakerPhase.OPEN and now - state.opened_at < self.cooldown_seconds:
                return self._reject(state.opened_at + self.cooldown_seconds - now)
            if (
                state.phase is BreakerPhase.HALF_OPEN
                and now - state.probe_started_at < self.probe_timeout_seconds
            ):
                return self._reject(self.probe_timeout_seconds - (now - state.probe_started_at))
            claimed = replace(state, phase=BreakerPhase.HALF_OPEN, probe_started_at=now)
            if self.store.compare_and_set(self.name, state.version, claimed):
                return Permit(probe=True)
        return self._reject(self.cooldown_seconds)

    def _reject(self, retry_in: float) -> NoReturn:
        self._count("rejected")
        raise CircuitOpenError(
            f"circuit for {self.name} is open; next probe in {max(retry_in, 0):.1f}s", self.name
        )

    def record_success(self, permit: Permit) -> None:
        """A call succeeded: a probe closes the circuit; ordinary successes need no write."""
        self._count("successes")
        if permit.probe:
            self._update(
                lambda s: BreakerState(phase=BreakerPhase.CLOSED, version=s.version), only_if_probe=True
            )

    def record_failure(self, permit: Permit) -> None:
        """A call failed: a probe re-opens the circuit; otherwise count it and open at the threshold."""
        self._count("failures")
        now = self.clock()
        if permit.probe:
            self._update(
                lambda s: replace(s, phase=BreakerPhase.OPEN, opened_at=now, failures=0), only_if_probe=True
            )
            return

        def counted(state: BreakerState) -> BreakerState | None:
            if state.phase is not BreakerPhase.CLOSED:
                return None  # already open or probing: nothing to add
            if state.failures == 0 or now - state.window_start > self.window_seconds:
                state = replace(state, failures=0, window_start=now)
            failures = state.failures + 1
            if failures >= self.failure_threshold:
                logger.warning("circuit opened", extra={"breaker": self.name, "failures": failures})
                return replace(state, phase=BreakerPhase.OPEN, failures=failures, opened_at=now)
            return replace(state, failures=failures)

        self._update(counted)

    def _update(
        self, change: Callable[[BreakerState], BreakerState | None], *, only_if_probe: bool = False
    ) -> None:
        try:
            for _ in range(_CAS_ROUNDS):
                state = self.store.load(self.name)
                if only_if_probe and state.phase is not BreakerPhase.HALF_OPEN:
                    return  # a newer probe or a reset already decided
                new = change(state)
                if new is None or self.store.compare_and_set(self.name, state.version, new):
                    return
        except StoreUnavailableError as error:
            logger.warning(
                "breaker store unavailable, state not recorded",
                extra={"breaker": self.name, "error": str(error)},
            )

    # --- introspection -----------------------------------------------------------------------------
    def state(self) -> BreakerState:
        """The shared state as stored now."""
        return self.store.load(self.name)

    def stats(self) -> dict[str, Any]:
        """Shared state plus this process's counters, for ``/v1/stats``."""
        state = self.state()
        with self._lock:
            counters = dict(self._counters)
        return {
            "name": self.name,
            "phase": state.phase.value,
            "failures_in_window": state.failures,
            "opened_at": state.opened_at or None,
            "failure_threshold": self.failure_threshold,
            "cooldown_seconds": self.cooldown_seconds,
            **counters,
        }

    def _count(self, key: str) -> None:
        with self._lock:
            self._counters[key] += 1
