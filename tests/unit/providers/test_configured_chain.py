"""A chain built from what is configured: a provider without credentials or a key is not in it, and the
readiness report says which providers are usable here and why not the others."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from receiptflow.errors import ProviderConfigError
from receiptflow.providers.chain import ProviderChain
from receiptflow.settings import Settings
from receiptflow.wiring.providers import build_provider, clear_provider_cache, provider_readiness


@pytest.fixture(autouse=True)
def clean_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No AWS credentials, no OpenAI key, nothing read from the real home directory."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    clear_provider_cache()


def in_lambda(monkeypatch: pytest.MonkeyPatch, settings: Settings, **values: object) -> Settings:
    """What a Lambda sees: role credentials and a region in the environment, the template's defaults."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    defaults = {"provider": "auto", "provider_order": "textract,openai", "table_name": "ReceiptflowTable-x"}
    return settings.model_copy(update={**defaults, "openai_secret_name": None, **values})


def test_template_defaults_chain_textract_only(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    # GIVEN the template's defaults: Provider=auto, ProviderOrder=textract,openai, no OpenAISecretName
    aws = in_lambda(monkeypatch, settings)
    provider = build_provider("auto", aws, mode="aws")
    # THEN OpenAI, which has no key, is not in the chain
    assert isinstance(provider, ProviderChain) and provider.name == "chain:textract"
    assert list(provider.breakers) == ["textract"]
    readiness = {r.name: r for r in provider_readiness(aws, mode="aws")}
    assert (readiness["textract"].configured, readiness["textract"].in_chain) == (True, True)
    assert (readiness["openai"].configured, readiness["openai"].in_chain) == (False, False)
    assert "OPENAI_API_KEY" in readiness["openai"].reason and "OpenAISecretName" in readiness["openai"].reason
    assert not readiness["local"].in_chain  # never in AWS unless the order names it


@pytest.mark.parametrize(
    ("secret", "where"),
    [("/receiptflow/openai-key", "SSM parameter"), ("receiptflow/openai", "Secrets Manager secret")],
)
def test_a_configured_key_puts_openai_in_the_chain(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, secret: str, where: str
) -> None:
    aws = in_lambda(monkeypatch, settings, openai_secret_name=secret)
    assert build_provider("auto", aws, mode="aws").name == "chain:textract>openai"
    openai = next(r for r in provider_readiness(aws, mode="aws") if r.name == "openai")
    assert openai.configured and openai.in_chain and where in openai.reason and secret in openai.reason


def test_nothing_configured_in_aws_is_refused_with_the_reasons(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    aws = in_lambda(monkeypatch, settings, provider_order="openai")
    with pytest.raises(ProviderConfigError) as caught:
        build_provider("auto", aws, mode="aws")
    assert "openai: no OpenAI API key" in caught.value.message


def test_on_a_machine_without_credentials_textract_says_why(settings: Settings) -> None:
    local = settings.model_copy(update={"provider": "auto"})
    textract = next(r for r in provider_readiness(local, mode="local") if r.name == "textract")
    assert not textract.configured and not textract.in_chain
    assert "no AWS region" in textract.reason or "no AWS credentials" in textract.reason


def test_an_explicitly_named_provider_is_kept_and_fails_clearly(settings: Settings) -> None:
    # Asking for OpenAI by name (not auto) is the user's choice: it stays, and says what is missing
    named = settings.model_copy(update={"provider": "openai"})
    provider = build_provider("openai", named, mode="local")
    assert provider.name == "chain:openai"
    openai = next(r for r in provider_readiness(named, mode="local") if r.name == "openai")
    assert openai.in_chain and not openai.configured
