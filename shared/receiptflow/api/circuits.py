"""Circuit states for ``/v1/stats``: the shared breaker state of each configured provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from receiptflow.ports import BreakerStore
from receiptflow.settings import Settings


def provider_names(settings: Settings) -> list[str]:
    """Providers that may have a circuit: those in the chain ``settings.provider`` builds."""
    from receiptflow.providers.factory import chain_names

    return chain_names(settings)


def circuit_reader(store: BreakerStore, settings: Settings) -> Callable[[], dict[str, Any]]:
    """A callable returning ``{provider: breaker stats}`` read from the shared ``store``."""
    from receiptflow.providers.breaker import CircuitBreaker

    breakers = [
        CircuitBreaker(
            name,
            store,
            failure_threshold=settings.breaker_failure_threshold,
            window_seconds=settings.breaker_window_seconds,
            cooldown_seconds=settings.breaker_cooldown_seconds,
        )
        for name in provider_names(settings)
        if name != "local"
    ]

    def read() -> dict[str, Any]:
        return {breaker.name: breaker.stats() for breaker in breakers}

    return read
