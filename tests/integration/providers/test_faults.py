"""Fault injection: 30 % of provider calls fail (throttles, 5xx, timeouts, malformed answers) over 50 items.

Faults are injected exactly where the HTTP exchange would happen (a botocore event hook feeding the Stubber
for Textract, the MockTransport for OpenAI), from a seeded generator so the run is repeatable.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
import pytest
from botocore.exceptions import ReadTimeoutError
from receiptflow.errors import ProviderError
from receiptflow.ports import ProviderOutput
from receiptflow.providers.retry import RetryPolicy
from receiptflow.settings import Settings

from tests.support.chain_parts import GOOD_OPENAI, Parts
from tests.support.clock import FakeClock
from tests.support.openai_http import content_key, fail, ok, response_body
from tests.support.provider_fixtures import make_document
from tests.support.textract import MEGA_MARKET, analyze_expense_output, load_fixture

ITEMS = 50
FAULT_RATE = 0.3
FAULTS = ("throttle", "5xx", "timeout", "malformed")


@pytest.mark.parametrize("openai_first", [False, True], ids=["textract>openai", "openai>textract"])
def test_thirty_percent_faults_every_item_finishes_and_nothing_is_billed_twice(
    shared_dir: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_first: bool
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    rng = random.Random(20261122)
    injected: Counter[str] = Counter()
    billed: Counter[tuple[str, str]] = Counter()  # (provider, content hash) → calls that are charged
    calls: Counter[str] = Counter()

    def pick_fault(provider: str) -> str | None:
        fault = rng.choice(FAULTS) if rng.random() < FAULT_RATE else None
        injected[f"{provider}:{fault or 'ok'}"] += 1
        return fault

    def openai(request: httpx2.Request) -> httpx2.Response:
        calls["openai"] += 1
        fault = pick_fault("openai")
        if fault == "timeout":
            raise httpx2.ReadTimeout("injected", request=request)
        if fault in ("throttle", "5xx"):
            return fail(429 if fault == "throttle" else 502)
        billed["openai", content_key(json.loads(request.content))] += 1
        return ok(response_body("{truncated" if fault == "malformed" else json.dumps(GOOD_OPENAI)))

    clock = FakeClock(1_000_000.0)
    policy = RetryPolicy(attempts=2, deadline_seconds=60, sleep=lambda _: None)
    parts = Parts(
        settings,
        openai,
        tmp_path,
        policy,
        textract_hook=lambda **kwargs: textract(**kwargs),
        openai_first=openai_first,
    )
    for breaker in parts.breakers.values():
        breaker.clock = clock
    mega = analyze_expense_output(parts.client, load_fixture(shared_dir, MEGA_MARKET))

    def textract(params: dict[str, Any], **_: Any) -> None:
        calls["textract"] += 1
        fault = pick_fault("textract")
        if fault == "timeout":
            raise ReadTimeoutError(endpoint_url="https://textract.us-east-1.amazonaws.com")
        if fault == "throttle":
            parts.stubber.add_client_error("analyze_expense", "ThrottlingException", "injected", 400)
            return
        if fault == "5xx":
            parts.stubber.add_client_error("analyze_expense", "InternalServerError", "injected", 500)
            return
        billed["textract", hashlib.sha256(params["Document"]["Bytes"]).hexdigest()] += 1
        empty = {"DocumentMetadata": {"Pages": 1}, "ExpenseDocuments": []}
        parts.stubber.add_response("analyze_expense", empty if fault == "malformed" else mega)

    outcomes: list[ProviderOutput | ProviderError] = []
    for n in range(ITEMS):
        clock.advance(5.0)
        try:
            outcomes.append(parts.chain.analyze(make_document(f"item-{n}")))
        except ProviderError as error:
            outcomes.append(error)

    # every item finished: a receipt or a typed error, none lost
    assert len(outcomes) == ITEMS
    ok_items = [o for o in outcomes if isinstance(o, ProviderOutput)]
    failed = [o for o in outcomes if isinstance(o, ProviderError)]
    assert len(ok_items) + len(failed) == ITEMS
    assert all(o.receipt.total.present for o in ok_items)
    assert all(
        e.code
        in {
            "provider_throttled",
            "provider_unavailable",
            "provider_timeout",
            "circuit_open",
            "unreadable_document",
            "no_text_found",
        }
        for e in failed
    )
    # retries and fallbacks are counted, and the counts add up to the calls the services saw
    attempts = sum(o.attempts for o in outcomes)
    assert attempts == calls["textract"] + calls["openai"]
    retries = attempts - sum(len(_tried(o)) for o in outcomes)
    fallbacks = sum(1 for o in outcomes if len(_tried(o)) > 1)
    assert retries > 0 and fallbacks > 0
    assert sum(injected[k] for k in injected if not k.endswith(":ok")) > 0
    # no provider billed twice for the same content
    assert billed and max(billed.values()) == 1
    print(  # noqa: T201 - the figures of this run, for the report
        f"ok={len(ok_items)} failed={len(failed)} attempts={attempts} retries={retries} "
        f"fallbacks={fallbacks} injected={dict(sorted(injected.items()))}"
    )


def _tried(outcome: ProviderOutput | ProviderError) -> list[str]:
    return list(outcome.providers_tried)
