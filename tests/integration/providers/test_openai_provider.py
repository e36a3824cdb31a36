"""Functional: OpenAIVisionProvider through the real SDK with recorded-style HTTP exchanges (no network)."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from decimal import Decimal

import httpx2
import pytest
from PIL import Image
from receiptflow.adapters.openai.vision import OpenAIVisionProvider
from receiptflow.errors import (
    NoReceiptFoundError,
    ProviderConfigError,
    ProviderError,
    ProviderThrottledError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    UnreadableDocumentError,
)
from receiptflow.settings import Settings

from tests.support.openai_http import RESPONSES_URL, Recorder, extraction, fail, ok, replay, response_body
from tests.support.provider_fixtures import DocFactory

MEGA = extraction(
    vendor_name=("MEGA MARKET PLUS", "MEGA MARKET PLUS", 0.97),
    date=("12/07/2019", "2019-12-07", 0.93),
    subtotal=("$1699.96", "1699.96", 0.9),
    tax=("$110.50", "110.50", 0.9),
    total=("$1810.46", "1810.46", 0.95),
    currency=("$", "USD", 0.9),
    line_items=[
        {
            "description": "LG FLATSCREEN 65",
            "quantity": None,
            "unit_price": None,
            "amount": "899.99",
            "confidence": 0.9,
        }
    ],
)


@pytest.fixture
def with_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")


def _provider(settings: Settings, recorder: Recorder) -> OpenAIVisionProvider:
    return OpenAIVisionProvider(settings, http_client=recorder.client())


@pytest.mark.usefixtures("with_key")
def test_structured_output_becomes_a_receipt(settings: Settings, make_doc: DocFactory) -> None:
    recorder = Recorder(replay(ok(response_body(json.dumps(MEGA), input_tokens=2913, output_tokens=412))))
    output = _provider(settings, recorder).analyze(make_doc("mega", size=(1600, 2400)))
    receipt = output.receipt
    assert receipt.provider == "openai"
    assert receipt.vendor_name.value == "MEGA MARKET PLUS"
    assert receipt.date.value is not None and receipt.date.value.isoformat() == "2019-12-07"
    assert receipt.date.text == "12/07/2019"
    assert receipt.total.value == Decimal("1810.46")
    assert receipt.total.currency == "USD"
    assert receipt.tax.value == Decimal("110.50")
    assert receipt.line_items[0].amount == Decimal("899.99")
    assert receipt.vendor_address.present is False
    # cost from usage: gpt-4o-mini list price 0.15 / 0.60 USD per million tokens
    assert output.billed_units == 3325
    assert output.cost_usd == pytest.approx((2913 * 0.15 + 412 * 0.60) / 1e6)


@pytest.mark.usefixtures("with_key")
def test_request_uses_strict_schema_and_a_small_image(settings: Settings, make_doc: DocFactory) -> None:
    recorder = Recorder(replay(ok(response_body(json.dumps(MEGA)))))
    _provider(settings, recorder).analyze(make_doc("big", size=(1600, 2400)))
    (request,) = recorder.requests
    assert request["model"] == settings.openai_model
    schema_format = request["text"]["format"]
    assert schema_format["type"] == "json_schema" and schema_format["strict"] is True
    assert {"vendor_name", "date", "total", "line_items"} <= set(schema_format["schema"]["properties"])
    image = request["input"][0]["content"][1]
    assert image["type"] == "input_image" and image["detail"] == "low"
    url: str = image["image_url"]
    assert url.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as sent:
        assert max(sent.size) == settings.openai_max_side_px


@pytest.mark.usefixtures("with_key")
@pytest.mark.parametrize(
    ("response", "error_type"),
    [
        (fail(429, "rate_limit_exceeded"), ProviderThrottledError),
        (fail(429, "insufficient_quota"), ProviderConfigError),
        (fail(500), ProviderUnavailableError),
        (fail(503), ProviderUnavailableError),
        (fail(401, "invalid_api_key"), ProviderConfigError),
        (fail(400, "invalid_image"), UnreadableDocumentError),
        (fail(400, "invalid_request"), ProviderError),
        (ok(response_body("{not json")), UnreadableDocumentError),
        (ok(response_body("", refusal="I can't help with that.")), UnreadableDocumentError),
        (ok(response_body(json.dumps(extraction()))), NoReceiptFoundError),
    ],
)
def test_errors_are_typed(
    settings: Settings, make_doc: DocFactory, response: httpx2.Response, error_type: type[ProviderError]
) -> None:
    recorder = Recorder(replay(response))
    with pytest.raises(error_type) as caught:
        _provider(settings, recorder).analyze(make_doc("err"))
    assert type(caught.value) is error_type
    assert len(recorder.requests) == 1  # the SDK itself never retries


@pytest.mark.usefixtures("with_key")
def test_timeouts_and_connection_failures_are_typed(settings: Settings, make_doc: DocFactory) -> None:
    def timeout(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("simulated", request=request)

    def refused(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("simulated", request=request)

    with pytest.raises(ProviderTimeoutError):
        _provider(settings, Recorder(timeout)).analyze(make_doc("t"))
    with pytest.raises(ProviderUnavailableError):
        _provider(settings, Recorder(refused)).analyze(make_doc("c"))


def test_missing_key_is_a_config_error(settings: Settings, make_doc: DocFactory) -> None:
    recorder = Recorder(replay())
    with pytest.raises(ProviderConfigError, match="OPENAI_API_KEY"):
        _provider(settings, recorder).analyze(make_doc("nokey"))
    assert recorder.requests == []


@pytest.mark.usefixtures("with_key")
def test_base_url_from_environment(
    settings: Settings, make_doc: DocFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://llm-proxy.internal/v1")
    seen: list[str] = []

    def respond(request: httpx2.Request) -> httpx2.Response:
        seen.append(str(request.url))
        return ok(response_body(json.dumps(MEGA)))

    _provider(settings, Recorder(respond)).analyze(make_doc("proxy"))
    assert seen == ["https://llm-proxy.internal/v1/responses"]
    assert RESPONSES_URL.endswith("/v1/responses")


def test_openai_is_not_imported_with_the_module() -> None:
    code = (
        "import sys; import receiptflow.adapters.openai.vision, receiptflow.wiring.providers; "
        "print('openai' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
