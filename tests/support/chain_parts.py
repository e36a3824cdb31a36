"""Real providers for chain tests: Textract behind a Stubber, OpenAI behind a MockTransport recorder."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botocore.stub import Stubber
from receiptflow.adapters.aws.textract import TextractProvider
from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
from receiptflow.adapters.openai.vision import OpenAIVisionProvider
from receiptflow.ports import Provider
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.providers.chain import ProviderChain
from receiptflow.providers.retry import RetryPolicy
from receiptflow.settings import Settings
from receiptflow.wiring.providers import breaker

from tests.support.openai_http import Handler, Recorder, extraction, ok, response_body
from tests.support.textract import new_client

GOOD_OPENAI = extraction(
    vendor_name=("CORNER SHOP", "CORNER SHOP", 0.92),
    date=("2024-02-01", "2024-02-01", 0.9),
    total=("$12.34", "12.34", 0.95),
)


def good_openai_response() -> Any:
    """A confident OpenAI answer."""
    return ok(response_body(json.dumps(GOOD_OPENAI)))


class Parts:
    """A textract+openai chain whose two HTTP exchanges are stubbed, with its breaker store."""

    def __init__(
        self,
        settings: Settings,
        openai: Handler,
        tmp_path: Path,
        policy: RetryPolicy,
        textract_hook: Callable[..., None] | None = None,
        openai_first: bool = False,
    ) -> None:
        self.client = new_client()
        if textract_hook is not None:
            # fires before the Stubber checks its queue, so the hook can queue the answer first
            self.client.meta.events.register("provide-client-params.textract.AnalyzeExpense", textract_hook)
        self.stubber = Stubber(self.client)
        self.stubber.activate()
        self.recorder = Recorder(openai)
        self.store = SqliteBreakerStore(tmp_path / "receiptflow.sqlite3")
        self.breakers: dict[str, CircuitBreaker] = {
            n: breaker(n, self.store, settings) for n in ("textract", "openai")
        }
        providers: list[Provider] = [
            TextractProvider(settings, client_factory=lambda: self.client),
            OpenAIVisionProvider(settings, http_client=self.recorder.client()),
        ]
        self.chain = ProviderChain(
            providers[::-1] if openai_first else providers, self.breakers, settings, retry_policy=policy
        )
