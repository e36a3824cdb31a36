"""The provider chain under failure: the primary provider's error is the one reported, the fallbacks'
outcomes ride along, throttling is backpressure (never a breaker failure, no paid fallback unless asked),
and one provider's open breaker or missing configuration never hides another provider's real error.

Real providers: Textract behind a botocore ``Stubber`` (recorded AnalyzeExpense responses), OpenAI behind
an ``httpx`` ``MockTransport``; the breakers keep their state in the embedded SQLite store."""

from __future__ import annotations

import hashlib
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber
from PIL import Image, ImageDraw
from receiptflow.adapters.aws.textract import TextractProvider
from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
from receiptflow.adapters.openai.vision import OpenAIVisionProvider
from receiptflow.document import Document, PageImage
from receiptflow.errors import (
    CircuitOpenError,
    ProviderConfigError,
    ProviderError,
    ProviderThrottledError,
    ProviderUnavailableError,
)
from receiptflow.models import ScanStatus
from receiptflow.ports import BreakerPhase, BreakerState, Provider
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.providers.chain import ProviderChain
from receiptflow.providers.retry import RetryPolicy
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import Settings
from receiptflow.wiring.providers import breaker

from tests.support.openai_http import Recorder, extraction, fail, ok, replay, response_body
from tests.support.textract import MEGA_MARKET, add_error, analyze_expense_output, load_fixture, new_client

GOOD_OPENAI = extraction(
    vendor_name=("CORNER SHOP", "CORNER SHOP", 0.92),
    date=("2024-02-01", "2024-02-01", 0.9),
    total=("$12.34", "12.34", 0.95),
)


def document(label: str) -> Document:
    """A small receipt-like page as intake hands it over."""
    image = Image.new("RGB", (320, 480), "white")
    ImageDraw.Draw(image).text((10, 10), f"SHOP {label} TOTAL 12.34", fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG")
    data = buffer.getvalue()
    return Document(
        pages=(PageImage(data, "image/jpeg", 320, 480),),
        source_type="jpeg",
        sha256=hashlib.sha256(data).hexdigest(),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_bytes=len(data),
        original=data,
    )


class Chain:
    """textract → openai with both HTTP exchanges stubbed, breakers in SQLite, retries not slept."""

    def __init__(self, settings: Settings, tmp_path: Path, *openai: Any, attempts: int = 2) -> None:
        self.client = new_client()
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.openai = Recorder(replay(*openai))
        self.store = SqliteBreakerStore(tmp_path / "breakers.sqlite3")
        self.breakers: dict[str, CircuitBreaker] = {
            n: breaker(n, self.store, settings) for n in ("textract", "openai")
        }
        providers: list[Provider] = [
            TextractProvider(settings, client_factory=lambda: self.client),
            OpenAIVisionProvider(settings, http_client=self.openai.client()),
        ]
        policy = RetryPolicy(attempts=attempts, sleep=lambda _: None)
        self.chain = ProviderChain(providers, self.breakers, settings, retry_policy=policy)

    def textract_errors(self, code: str, times: int, status: int = 400) -> None:
        for _ in range(times):
            add_error(self.stubber, code, status)

    def phase(self, name: str) -> BreakerPhase:
        return self.breakers[name].state().phase


@pytest.fixture
def keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenAI configured (a key in the environment)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


@pytest.mark.usefixtures("keyed")
def test_throttling_is_backpressure_not_a_fallback_by_default(settings: Settings, tmp_path: Path) -> None:
    # GIVEN Textract throttling every call, and a healthy, paid OpenAI behind it
    chain = Chain(settings, tmp_path, ok(response_body(json.dumps(GOOD_OPENAI))))
    for n in range(settings.breaker_failure_threshold + 3):
        chain.textract_errors("ThrottlingException", 2)
        # WHEN items are scanned
        with pytest.raises(ProviderThrottledError) as caught:
            chain.chain.analyze(document(f"t{n}"))
        # THEN each reports Textract's throttling (Step Functions backs off on it by name) ...
        assert caught.value.provider == "textract" and caught.value.providers_tried == ["textract"]
    # ... OpenAI is never paid, and throttling never opened a breaker
    assert chain.openai.requests == []
    assert (chain.phase("textract"), chain.breakers["textract"].state().failures) == (BreakerPhase.CLOSED, 0)


@pytest.mark.usefixtures("keyed")
def test_falling_back_on_throttling_is_a_setting(settings: Settings, tmp_path: Path) -> None:
    chain = Chain(
        settings.model_copy(update={"fallback_on_throttle": True}),
        tmp_path,
        ok(response_body(json.dumps(GOOD_OPENAI))),
    )
    chain.textract_errors("ThrottlingException", 2)
    output = chain.chain.analyze(document("paid"))
    assert output.receipt.provider == "openai" and output.providers_tried == ["textract", "openai"]


def test_an_unconfigured_fallback_never_hides_the_primary_error(settings: Settings, tmp_path: Path) -> None:
    # GIVEN no OpenAI key at all, and Textract down
    chain = Chain(settings, tmp_path)
    runs = settings.breaker_failure_threshold + 2
    for n in range(runs):
        chain.textract_errors("InternalServerError", 2, 500)
        # WHEN items are scanned
        with pytest.raises(ProviderError) as caught:
            chain.chain.analyze(document(f"down{n}"))
        error = caught.value
        # THEN each reports Textract's error (or Textract's own open circuit), never OpenAI's ...
        assert error.provider == "textract", error
        assert [f["provider"] for f in error.fallbacks] == ["openai"]
        assert error.fallbacks[0]["code"] == "provider_not_configured"
        assert "[also tried: openai: provider_not_configured" in str(error)
    # ... and OpenAI's "no key" did not open OpenAI's breaker (waiting cannot cure it)
    assert chain.phase("openai") is BreakerPhase.CLOSED
    assert chain.breakers["openai"].state().failures == 0


@pytest.mark.usefixtures("keyed")
def test_a_fallbacks_open_breaker_never_replaces_the_primary_error(
    settings: Settings, tmp_path: Path
) -> None:
    # GIVEN OpenAI's circuit open, and Textract failing with a configuration error (no permission)
    chain = Chain(settings, tmp_path)
    chain.store.compare_and_set("openai", 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=time.time()))
    chain.textract_errors("AccessDeniedException", 1, 400)
    # WHEN an item is scanned
    with pytest.raises(ProviderConfigError) as caught:
        chain.chain.analyze(document("denied"))
    # THEN the report is Textract's AccessDenied, with OpenAI's open circuit attached, not CircuitOpenError
    assert caught.value.provider == "textract" and "AccessDeniedException" in caught.value.message
    assert caught.value.fallbacks[0]["code"] == "circuit_open"


@pytest.mark.usefixtures("keyed")
def test_a_primary_rejected_by_its_breaker_reports_the_fallbacks_real_error(
    settings: Settings, tmp_path: Path
) -> None:
    # GIVEN Textract's circuit open (it was down) and OpenAI failing with 500
    chain = Chain(settings, tmp_path, fail(500), fail(500))
    chain.store.compare_and_set("textract", 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=time.time()))
    with pytest.raises(ProviderUnavailableError) as caught:
        chain.chain.analyze(document("both"))
    # THEN OpenAI's real error is reported, Textract's open circuit attached
    assert type(caught.value) is ProviderUnavailableError and caught.value.provider == "openai"
    assert [(f["provider"], f["code"]) for f in caught.value.fallbacks] == [("textract", "circuit_open")]


def test_every_circuit_open_is_circuit_open(settings: Settings, tmp_path: Path) -> None:
    chain = Chain(settings, tmp_path)
    for name in ("textract", "openai"):
        chain.store.compare_and_set(name, 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=time.time()))
    with pytest.raises(CircuitOpenError) as caught:
        chain.chain.analyze(document("closed-shop"))
    assert caught.value.provider == "textract"


def test_timeouts_and_outages_open_the_breaker_configuration_errors_do_not(
    settings: Settings, tmp_path: Path
) -> None:
    chain = Chain(settings, tmp_path, attempts=1)
    threshold = settings.breaker_failure_threshold
    chain.textract_errors("AccessDeniedException", threshold + 2)
    for n in range(threshold + 2):
        with pytest.raises(ProviderConfigError):
            chain.chain.analyze(document(f"denied{n}"))
    assert chain.phase("textract") is BreakerPhase.CLOSED  # AccessDenied never turns into circuit_open
    chain.textract_errors("ServiceUnavailableException", threshold, 503)
    for n in range(threshold):
        with pytest.raises(ProviderUnavailableError):
            chain.chain.analyze(document(f"down{n}"))
    assert chain.phase("textract") is BreakerPhase.OPEN  # a real outage does


@pytest.mark.usefixtures("keyed")
def test_a_throttled_probe_closes_the_circuit(settings: Settings, tmp_path: Path) -> None:
    # GIVEN Textract's circuit past its cool-down: the next call is the probe, and it is throttled
    chain = Chain(settings, tmp_path)
    opened = time.time() - settings.breaker_cooldown_seconds - 1
    chain.store.compare_and_set("textract", 0, BreakerState(phase=BreakerPhase.OPEN, opened_at=opened))
    chain.textract_errors("ThrottlingException", 2)
    with pytest.raises(ProviderThrottledError):
        chain.chain.analyze(document("probe"))
    # THEN the provider answered: the circuit closes (it is up, just busy)
    assert chain.phase("textract") is BreakerPhase.CLOSED


def test_the_scan_result_carries_the_fallbacks(settings: Settings, tmp_path: Path, shared_dir: Path) -> None:
    # GIVEN the scanner over the chain, Textract down and OpenAI not configured
    chain = Chain(settings, tmp_path)
    chain.textract_errors("InternalServerError", 2, 500)
    receipt = document("row").pages[0].data
    result = Scanner(chain.chain, None, settings).scan(receipt, "row.jpg")
    # THEN the row reports Textract's error and what OpenAI did
    assert result.status is ScanStatus.ERROR and result.error is not None
    assert result.error.code == "provider_unavailable" and result.provider == "textract"
    assert [(f.provider, f.code) for f in result.error.fallbacks] == [("openai", "provider_not_configured")]
    # AND a healthy Textract afterwards answers as usual
    raw = load_fixture(shared_dir, MEGA_MARKET)
    chain.stubber.add_response("analyze_expense", analyze_expense_output(chain.client, raw))
    assert Scanner(chain.chain, None, settings).scan(receipt, "row.jpg").ok
