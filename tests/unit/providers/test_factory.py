"""Functional: building providers by name, and what ``auto`` means where."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore
from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
from receiptflow.adapters.embedded.sqlite_db import default_db_path
from receiptflow.providers.chain import ProviderChain
from receiptflow.settings import Settings
from receiptflow.wiring.providers import build_provider


@pytest.fixture
def no_cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with neither AWS credentials nor an OpenAI key."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_single_cloud_provider_gets_retries_and_a_breaker_in_sqlite(settings: Settings) -> None:
    provider = build_provider("textract", settings, mode="local")
    assert isinstance(provider, ProviderChain)
    assert provider.name == "chain:textract"
    store = provider.breakers["textract"].store
    assert isinstance(store, SqliteBreakerStore)
    assert store.db.db_path == default_db_path(settings)
    assert build_provider("textract", settings, mode="local") is provider  # built once per process


@pytest.mark.usefixtures("no_cloud")
def test_auto_without_cloud_credentials_is_local(settings: Settings) -> None:
    provider = build_provider("auto", settings, mode="local")
    assert provider.name == "local"


@pytest.mark.usefixtures("no_cloud")
def test_auto_with_only_an_openai_key_tries_openai_then_local(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    provider = build_provider("auto", settings, mode="local")
    assert provider.name == "chain:openai>local"


@pytest.mark.usefixtures("no_cloud")
def test_auto_with_aws_credentials_tries_textract_first(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    assert build_provider("auto", settings, mode="local").name == "chain:textract>local"


def test_auto_in_aws_is_the_configured_order_with_dynamodb_breakers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    in_aws = settings.model_copy(
        update={
            "table_name": "ReceiptflowTable-abc",
            "provider_order": "textract,openai",
            "openai_secret_name": "receiptflow/openai",
        }
    )
    provider = build_provider("auto", in_aws, mode="aws")
    assert isinstance(provider, ProviderChain)
    assert provider.name == "chain:textract>openai"
    store = provider.breakers["openai"].store
    assert isinstance(store, DynamoBreakerStore) and store.table_name == "ReceiptflowTable-abc"


def test_the_mode_is_explicit_never_guessed_from_a_table_name(settings: Settings) -> None:
    # a table name in the settings does not make a local run "in AWS": the breakers stay in SQLite
    with_table = settings.model_copy(update={"table_name": "ReceiptflowTable-abc"})
    provider = build_provider("textract", with_table, mode="local")
    assert isinstance(provider, ProviderChain)
    assert isinstance(provider.breakers["textract"].store, SqliteBreakerStore)


def test_unknown_name_is_refused(settings: Settings) -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        build_provider("tesseract", settings, mode="local")
