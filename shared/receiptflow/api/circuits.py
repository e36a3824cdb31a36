"""Circuit states for ``/v1/stats``: the shared breaker state of each configured provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from receiptflow.ports import BreakerStore
from receiptflow.settings import Settings


def circuit_reader(store: BreakerStore, settings: Settings, chain: list[str]) -> Callable[[], dict[str, Any]]:
    """A callable returning ``{provider: breaker stats}`` for the providers of ``chain`` (the ones the
    configured chain uses, named by the composition root), read from the shared ``store``."""
    from receiptflow.providers.breaker import CircuitBreaker

    breakers = [
        CircuitBreaker(
            name,
            store,
            failure_threshold=settings.breaker_failure_threshold,
            window_seconds=settings.breaker_window_seconds,
            cooldown_seconds=settings.breaker_cooldown_seconds,
        )
        for name in chain
        if name != "local"
    ]

    def read() -> dict[str, Any]:
        return {breaker.name: breaker.stats() for breaker in breakers}

    return read
