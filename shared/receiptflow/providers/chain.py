"""The provider chain: providers tried in order, each behind its retries and circuit breaker.

The chain moves to the next provider when one fails (after its own retries), when its circuit is open, or when
its answer's key-field confidence (vendor, date, total) is below ``settings.fallback_confidence``; if every
answer is weak the most confident one is kept. Two failures stop the chain instead:

- ``UnreadableDocumentError`` (the image is the problem), unless ``settings.fallback_on_unreadable``: no retry
  storm and no paying twice for garbage;
- ``ProviderThrottledError`` (backpressure: the provider is up but asks us to slow down), unless
  ``settings.fallback_on_throttle``: the caller (Step Functions' Retry) backs off and tries again, instead of
  sending the receipt to a paid fallback.

Race mode (``settings.race_after_seconds``): when a provider has not answered after that many seconds the
next one starts too, and the first good answer wins. A call still running when the chain returns is not
waited for, so its cost is not in the total.

When every provider fails the chain raises the **primary** provider's error (the first in chain order), so
Step Functions' Retry/Catch match what really happened to it. The one exception: when the primary was only
rejected by its own open breaker, the first fallback that really tried (an error other than an open breaker
or missing configuration) is reported instead; if none did, the primary's ``CircuitOpenError``. So one
provider's breaker never hides another provider's real error, and an unconfigured fallback never hides
anything. The raised error carries ``attempts``, ``providers_tried``, ``cost_usd`` and ``fallbacks`` (what
each other provider did), and its message ends with a short ``[also tried: …]`` summary of them, so it
survives the Lambda error payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Any

from receiptflow.deadline import Deadline
from receiptflow.document import Document
from receiptflow.errors import (
    CircuitOpenError,
    ProviderConfigError,
    ProviderError,
    ProviderThrottledError,
    UnreadableDocumentError,
)
from receiptflow.ports import Provider, ProviderOutput
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.providers.retry import RetryPolicy, call_with_retry
from receiptflow.settings import Settings


@dataclass
class _Outcome:
    """What one provider (with its retries) produced."""

    provider: str
    output: ProviderOutput | None = None
    error: ProviderError | None = None
    attempts: int = 0

    @property
    def cost_usd(self) -> float:
        if self.output is not None:
            return self.output.cost_usd
        return self.error.cost_usd if self.error is not None else 0.0

    @property
    def billed_units(self) -> int:
        return self.output.billed_units if self.output is not None else 0


class ProviderChain:
    """Several providers behaving as one ``Provider``."""

    def __init__(
        self,
        providers: Sequence[Provider],
        breakers: Mapping[str, CircuitBreaker],
        settings: Settings,
        *,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        if not providers:
            raise ValueError("a provider chain needs at least one provider")
        self.providers = list(providers)
        self.breakers = dict(breakers)
        self.settings = settings
        self.retry_policy = retry_policy or RetryPolicy.from_settings(settings)
        self.name = "chain:" + ">".join(p.name for p in self.providers)

    def analyze(self, doc: Document, deadline: Deadline | None = None) -> ProviderOutput:
        """The first good answer (or the best weak one); see the module docstring. With a ``deadline``
        no provider starts and no retry waits past it: what was tried is reported as usual, and if the
        time ran out before any provider was tried, ``ItemTimeoutError``."""
        if self.settings.race_after_seconds is not None and len(self.providers) > 1:
            return self._race(doc, self.settings.race_after_seconds, deadline)
        outcomes: list[_Outcome] = []
        for provider in self.providers:
            if deadline is not None and deadline.expired():
                break
            outcome = self._run(provider, doc, deadline)
            outcomes.append(outcome)
            if self._good(outcome) or self._stops(outcome):
                break
        if not outcomes and deadline is not None:
            deadline.check("a provider was asked")
        return self._finish(outcomes, started=[o.provider for o in outcomes])

    def stats(self) -> dict[str, Any]:
        """The chain's providers and each one's breaker state (for ``/v1/stats``)."""
        return {
            "name": self.name,
            "providers": [p.name for p in self.providers],
            "breakers": [breaker.stats() for breaker in self.breakers.values()],
        }

    # --- one provider ------------------------------------------------------------------------------
    def _run(self, provider: Provider, doc: Document, deadline: Deadline | None = None) -> _Outcome:
        breaker = self.breakers.get(provider.name)
        policy = self.retry_policy
        if deadline is not None:  # retries stop at the item's deadline when it comes first
            policy = replace(
                policy, deadline_seconds=min(policy.deadline_seconds, max(deadline.remaining(), 0))
            )
        calls = 0

        def analyze() -> ProviderOutput:
            nonlocal calls
            calls += 1
            return provider.analyze(doc)

        def once() -> ProviderOutput:
            return breaker.call(analyze) if breaker is not None else analyze()

        try:
            output, _ = call_with_retry(once, policy)
        except ProviderError as error:
            error.provider = error.provider or provider.name
            return _Outcome(provider.name, error=error, attempts=calls)
        return _Outcome(provider.name, output=output, attempts=calls)

    def _good(self, outcome: _Outcome) -> bool:
        return (
            outcome.output is not None
            and outcome.output.receipt.min_key_confidence() >= self.settings.fallback_confidence
        )

    def _stops(self, outcome: _Outcome) -> bool:
        if isinstance(outcome.error, UnreadableDocumentError):
            return not self.settings.fallback_on_unreadable
        if isinstance(outcome.error, ProviderThrottledError):
            return not self.settings.fallback_on_throttle
        return False

    # --- race mode ---------------------------------------------------------------------------------
    def _race(self, doc: Document, race_after: float, deadline: Deadline | None) -> ProviderOutput:
        pool = ThreadPoolExecutor(max_workers=len(self.providers), thread_name_prefix="provider-race")
        running: dict[Future[_Outcome], int] = {}
        finished: dict[int, _Outcome] = {}
        started: list[str] = []

        def start_next() -> None:
            index = len(started)
            if index < len(self.providers) and not (deadline is not None and deadline.expired()):
                started.append(self.providers[index].name)
                running[pool.submit(self._run, self.providers[index], doc, deadline)] = index

        try:
            if deadline is not None:
                deadline.check("a provider was asked")
            start_next()
            while running:
                more_to_start = len(started) < len(self.providers)
                timeout = race_after if more_to_start else None
                if deadline is not None:
                    left = max(deadline.remaining(), 0.0)
                    timeout = left if timeout is None else min(timeout, left)
                done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                if not done and deadline is not None and deadline.expired():
                    if finished:  # what answered so far is reported; the calls still running are left
                        return self._finish([finished[i] for i in sorted(finished)], started=started)
                    deadline.check("any provider answered")
                if not done:
                    start_next()  # the running ones are slow: start the next provider beside them
                    continue
                for future in done:
                    index = running.pop(future)
                    outcome = finished[index] = future.result()
                    if self._good(outcome):
                        return self._finish([outcome, *finished.values()], started=started)
                    if self._stops(outcome):
                        return self._finish(list(finished.values()), started=started)
                start_next()  # what finished was not good enough: fall back to the next provider
            return self._finish([finished[i] for i in sorted(finished)], started=started)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    # --- the result --------------------------------------------------------------------------------
    def _finish(self, outcomes: list[_Outcome], *, started: list[str]) -> ProviderOutput:
        unique = list({id(o): o for o in outcomes}.values())
        attempts = sum(o.attempts for o in unique)
        spent = sum(o.cost_usd for o in unique)
        answered = [o for o in outcomes if o.output is not None]
        if answered:
            best = max(answered, key=lambda o: _confidence(o))  # max keeps the first of equals
            assert best.output is not None
            return ProviderOutput(
                receipt=best.output.receipt,
                cost_usd=spent,
                billed_units=sum(o.billed_units for o in unique),
                attempts=attempts,
                providers_tried=list(started),
            )
        failed = sorted((o for o in unique if o.error is not None), key=self._position)
        reported = _reported(failed)
        error = reported.error
        assert error is not None
        error.attempts = attempts
        error.providers_tried = list(started)
        error.cost_usd = spent
        error.fallbacks = [_summary(o) for o in failed if o is not reported]
        if error.fallbacks:
            error.message = f"{error.message} [also tried: {_fallback_text(error.fallbacks)}]"
            error.args = (error.message,)
        raise error

    def _position(self, outcome: _Outcome) -> int:
        names = [p.name for p in self.providers]
        return names.index(outcome.provider) if outcome.provider in names else len(names)


def _reported(failed: list[_Outcome]) -> _Outcome:
    """The primary's outcome, unless only its breaker answered and a fallback really tried."""
    primary = failed[0]
    if not isinstance(primary.error, CircuitOpenError):
        return primary
    tried = [o for o in failed[1:] if not isinstance(o.error, CircuitOpenError | ProviderConfigError)]
    return tried[0] if tried else primary


def _summary(outcome: _Outcome) -> dict[str, str | int]:
    error = outcome.error
    assert error is not None
    return {
        "provider": outcome.provider,
        "code": error.code,
        "message": error.message,
        "attempts": outcome.attempts,
    }


def _fallback_text(fallbacks: list[dict[str, str | int]]) -> str:
    return "; ".join(f"{f['provider']}: {f['code']}: {str(f['message'])[:200]}" for f in fallbacks)


def _confidence(outcome: _Outcome) -> float:
    assert outcome.output is not None
    return outcome.output.receipt.min_key_confidence()
