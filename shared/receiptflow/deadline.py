"""The time one item may still take, as a deadline handed down the scanner and the provider chain.

A :class:`Deadline` is an instant on the monotonic clock plus the name of the limit it stands for (named
in the error when it passes). Work that cannot be interrupted (a PDFium render, a provider call already
under way) is not cut; the checks sit between steps: before decoding, before each page, before each
provider attempt and retry. Locally the pool's parent enforces the hard wall (it stops the worker holding
an overdue item); in Lambda the handler sets the deadline from the invocation's remaining time
(:func:`lambda_deadline`), so the item stops with a typed ``ItemTimeoutError`` before the function's own
timeout, and the state machine's Catch records it.

The deadline of the current invocation travels in a context variable (:func:`current_deadline`,
:func:`deadline_scope`) so the Lambda handlers can set it around code that does not pass it on
(the batch service, the HTTP app under Mangum).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol

from receiptflow.errors import ItemTimeoutError


@dataclass(frozen=True)
class Deadline:
    """``at`` on ``time.monotonic()``'s clock; ``limit`` names the limit (e.g. ``time limit 120 s``)."""

    at: float
    limit: str

    @classmethod
    def after(cls, seconds: float, limit: str | None = None) -> Deadline:
        """The deadline ``seconds`` from now."""
        return cls(time.monotonic() + seconds, limit or f"time limit {seconds:g} s")

    def remaining(self) -> float:
        """Seconds left (negative once passed)."""
        return self.at - time.monotonic()

    def expired(self) -> bool:
        """True once the deadline has passed."""
        return self.remaining() <= 0

    def check(self, before: str) -> None:
        """Raise ``ItemTimeoutError`` naming the limit when the deadline has passed (``before`` says what
        was about to start, e.g. ``"decoding"``)."""
        if self.expired():
            raise ItemTimeoutError(f"{self.limit}: the time ran out before {before}")


class RemainingTime(Protocol):
    """What a Lambda context offers about time (``LambdaContext``)."""

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds before the runtime stops the invocation."""
        ...


def lambda_deadline(context: RemainingTime, margin_seconds: float) -> Deadline:
    """The deadline of one Lambda invocation: its remaining time minus ``margin_seconds``, so the typed
    error is raised (and reported) before the runtime's own timeout."""
    remaining = context.get_remaining_time_in_millis() / 1000
    limit = f"time limit: the invocation's remaining {remaining:.0f} s less a {margin_seconds:g} s margin"
    return Deadline(time.monotonic() + remaining - margin_seconds, limit)


def earliest(*deadlines: Deadline | None) -> Deadline | None:
    """The deadline that passes first (None when there is none)."""
    present = [d for d in deadlines if d is not None]
    return min(present, key=lambda d: d.at) if present else None


_current: ContextVar[Deadline | None] = ContextVar("receiptflow_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline set for the code running now (:func:`deadline_scope`), if any."""
    return _current.get()


@contextmanager
def deadline_scope(deadline: Deadline | None) -> Iterator[None]:
    """Make ``deadline`` the current one for the block (a Lambda invocation)."""
    token = _current.set(deadline)
    try:
        yield
    finally:
        _current.reset(token)
