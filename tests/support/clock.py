"""A controllable clock for adapters that take ``clock: Callable[[], float]`` (epoch seconds)."""

from __future__ import annotations

import time


class FakeClock:
    """Returns a fixed time until ``advance`` moves it; starts at the real current time."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``."""
        self.now += seconds
