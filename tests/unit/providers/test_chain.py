"""Functional: the provider chain with real Textract/OpenAI providers behind recorded exchanges."""

from __future__ import annotations

import importlib
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from receiptflow.errors import CircuitOpenError, ProviderUnavailableError, UnreadableDocumentError
from receiptflow.ports import BreakerPhase, BreakerState
from receiptflow.providers.retry import RetryPolicy
from receiptflow.settings import Settings

from tests.support.chain_parts import Parts, good_openai_response
from tests.support.openai_http import extraction, fail, ok, replay, response_body
from tests.support.provider_fixtures import DocFactory
from tests.support.textract import MEGA_MARKET, add_error, analyze_expense_output, load_fixture


@pytest.fixture(autouse=True)
def _openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _mega(shared_dir: Path, parts: Parts) -> dict[str, Any]:
    return analyze_expense_output(parts.client, load_fixture(shared_dir, MEGA_MARKET))


def test_name_and_throttled_twice_then_success(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, tmp_path: Path
) -> None:
    sleeps: list[float] = []
    parts = Parts(settings, replay(), tmp_path, RetryPolicy(attempts=4, sleep=sleeps.append))
    assert parts.chain.name == "chain:textract>openai"
    add_error(parts.stubber, "ThrottlingException")
    add_error(parts.stubber, "ThrottlingException")
    parts.stubber.add_response("analyze_expense", _mega(shared_dir, parts))
    output = parts.chain.analyze(make_doc("throttled"))
    assert output.attempts == 3
    assert len(sleeps) == 2
    assert output.providers_tried == ["textract"]
    assert output.receipt.provider == "textract"
    assert output.cost_usd == pytest.approx(0.01)
    assert parts.recorder.requests == []
    parts.stubber.assert_no_pending_responses()


def test_provider_down_falls_back(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    parts = Parts(settings, replay(good_openai_response()), tmp_path, no_wait)
    for _ in range(4):
        add_error(parts.stubber, "ServiceUnavailable", 503)
    output = parts.chain.analyze(make_doc("down"))
    assert output.providers_tried == ["textract", "openai"]
    assert output.receipt.provider == "openai"
    assert output.receipt.vendor_name.value == "CORNER SHOP"
    assert output.attempts == 5
    parts.stubber.assert_no_pending_responses()


def test_open_circuit_skips_the_provider(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    parts = Parts(settings, replay(good_openai_response()), tmp_path, no_wait)
    parts.store.compare_and_set("textract", 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=time.time()))
    output = parts.chain.analyze(make_doc("open"))
    assert output.receipt.provider == "openai"
    assert output.attempts == 1  # no call reached Textract
    assert output.providers_tried == ["textract", "openai"]


def test_breaker_opens_after_repeated_failures_then_rejects_fast(
    settings: Settings, make_doc: DocFactory, tmp_path: Path
) -> None:
    policy = RetryPolicy(attempts=1, sleep=lambda _: None)
    parts = Parts(settings, replay(*[good_openai_response() for _ in range(8)]), tmp_path, policy)
    for _ in range(settings.breaker_failure_threshold):
        add_error(parts.stubber, "InternalServerError", 500)
    for n in range(8):
        assert parts.chain.analyze(make_doc(f"item{n}")).receipt.provider == "openai"
    parts.stubber.assert_no_pending_responses()  # only the first 5 items reached Textract
    assert parts.breakers["textract"].state().phase is BreakerPhase.OPEN


def test_low_confidence_falls_back_and_keeps_the_better_answer(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    # GIVEN Textract reads the Costco receipt with a vendor confidence of 0.24 (< 0.5) and no date
    parts = Parts(settings, replay(good_openai_response()), tmp_path, no_wait)
    costco = load_fixture(shared_dir, "trp__test_trp2_expense_sample2.json")
    parts.stubber.add_response("analyze_expense", analyze_expense_output(parts.client, costco))
    output = parts.chain.analyze(make_doc("weak"))
    # THEN OpenAI is asked too, its confident answer is kept, and both are paid for
    assert output.providers_tried == ["textract", "openai"]
    assert output.receipt.provider == "openai"
    assert output.cost_usd > 0.01


def test_all_answers_weak_keeps_the_best(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    weak = extraction(
        vendor_name=("SHOP", "SHOP", 0.3), date=("2024-01-01", "2024-01-01", 0.3), total=("$1", "1", 0.3)
    )
    parts = Parts(settings, replay(ok(response_body(json.dumps(weak)))), tmp_path, no_wait)
    costco = load_fixture(shared_dir, "trp__test_trp2_expense_sample2.json")
    parts.stubber.add_response("analyze_expense", analyze_expense_output(parts.client, costco))
    output = parts.chain.analyze(make_doc("weak"))
    assert output.receipt.provider == "openai"  # min key confidence 0.3 beats Textract's 0.0 (no date)
    assert output.receipt.min_key_confidence() == pytest.approx(0.3)


def test_bad_image_is_one_call_and_no_fallback(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    parts = Parts(settings, replay(good_openai_response()), tmp_path, no_wait)
    add_error(parts.stubber, "UnsupportedDocumentException")
    with pytest.raises(UnreadableDocumentError) as caught:
        parts.chain.analyze(make_doc("garbage"))
    assert caught.value.attempts == 1
    assert caught.value.providers_tried == ["textract"]
    assert parts.recorder.requests == []  # OpenAI never paid for the same garbage
    assert parts.breakers["textract"].state().failures == 0  # a bad image is not a provider failure


def test_bad_image_fallback_when_configured(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    configured = settings.model_copy(update={"fallback_on_unreadable": True})
    parts = Parts(configured, replay(good_openai_response()), tmp_path, no_wait)
    add_error(parts.stubber, "BadDocumentException")
    output = parts.chain.analyze(make_doc("garbage"))
    assert output.receipt.provider == "openai"
    assert output.attempts == 2


def test_every_provider_failing_raises_a_retryable_error_with_the_accounting(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    parts = Parts(settings, replay(*[fail(500) for _ in range(4)]), tmp_path, no_wait)
    for _ in range(4):
        add_error(parts.stubber, "InternalServerError", 500)
    with pytest.raises(ProviderUnavailableError) as caught:
        parts.chain.analyze(make_doc("all-down"))
    assert type(caught.value) is ProviderUnavailableError
    assert caught.value.provider == "textract"  # the primary's error, the fallback's outcome attached
    assert caught.value.retryable
    assert caught.value.attempts == 8
    assert caught.value.providers_tried == ["textract", "openai"]
    assert [f["provider"] for f in caught.value.fallbacks] == ["openai"]


def test_open_circuits_everywhere_raise_circuit_open(
    settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    parts = Parts(settings, replay(), tmp_path, no_wait)
    for name in ("textract", "openai"):
        parts.store.compare_and_set(name, 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=time.time()))
    with pytest.raises(CircuitOpenError) as caught:
        parts.chain.analyze(make_doc("nothing-works"))
    assert caught.value.attempts == 0


def test_race_mode_takes_the_first_good_answer(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    # GIVEN a warm worker (the SDK already imported), Textract answering only when released (at the
    # latest after 30 s) and the chain racing after 0.2 s
    importlib.import_module("openai")
    racing = settings.model_copy(update={"race_after_seconds": 0.2})
    parts = Parts(racing, replay(good_openai_response()), tmp_path, no_wait)
    parts.stubber.add_response("analyze_expense", _mega(shared_dir, parts))
    release, textract_answered = threading.Event(), threading.Event()

    def held(**_: Any) -> None:
        release.wait(30.0)
        textract_answered.set()

    parts.client.meta.events.register("before-parameter-build.textract.AnalyzeExpense", held)
    # WHEN a document is analysed
    try:
        output = parts.chain.analyze(make_doc("slow"))
        # THEN OpenAI's answer comes back while Textract is still held
        assert not textract_answered.is_set()
    finally:
        release.set()
    assert output.receipt.provider == "openai"
    assert output.providers_tried == ["textract", "openai"]


def test_race_mode_does_not_start_the_next_provider_when_the_first_is_quick(
    shared_dir: Path, settings: Settings, make_doc: DocFactory, tmp_path: Path, no_wait: RetryPolicy
) -> None:
    racing = settings.model_copy(update={"race_after_seconds": 5.0})
    parts = Parts(racing, replay(), tmp_path, no_wait)
    parts.stubber.add_response("analyze_expense", _mega(shared_dir, parts))
    output = parts.chain.analyze(make_doc("quick"))
    assert output.receipt.provider == "textract"
    assert output.providers_tried == ["textract"]
    assert parts.recorder.requests == []


def test_stats_show_each_breaker(settings: Settings, tmp_path: Path, no_wait: RetryPolicy) -> None:
    stats = Parts(settings, replay(), tmp_path, no_wait).chain.stats()
    assert stats["providers"] == ["textract", "openai"]
    assert [b["name"] for b in stats["breakers"]] == ["textract", "openai"]
    assert {b["phase"] for b in stats["breakers"]} == {"closed"}
