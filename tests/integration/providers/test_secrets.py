"""Functional: the OpenAI key from the environment, Secrets Manager or SSM (moto)."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from receiptflow.adapters.aws.secrets import openai_api_key
from receiptflow.errors import ProviderConfigError
from receiptflow.settings import Settings

from tests.support.aws import REGION, mocked_aws


def test_environment_key_wins(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", " sk-env ")
    assert openai_api_key(settings.model_copy(update={"openai_secret_name": "ignored"})) == "sk-env"


def test_no_key_anywhere_is_a_config_error(settings: Settings) -> None:
    with pytest.raises(ProviderConfigError, match="OPENAI_API_KEY"):
        openai_api_key(settings)


def test_key_from_secrets_manager_and_ssm(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    with mocked_aws(monkeypatch):
        secrets = boto3.client("secretsmanager", region_name=REGION)
        json_name, plain_name = f"openai-{uuid.uuid4().hex}", f"openai-{uuid.uuid4().hex}"
        secrets.create_secret(Name=json_name, SecretString=json.dumps({"OPENAI_API_KEY": "sk-json"}))
        secrets.create_secret(Name=plain_name, SecretString="sk-plain")
        ssm_name = f"/receiptflow/{uuid.uuid4().hex}/openai"
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=ssm_name, Value="sk-ssm", Type="SecureString"
        )

        assert openai_api_key(settings.model_copy(update={"openai_secret_name": json_name})) == "sk-json"
        assert openai_api_key(settings.model_copy(update={"openai_secret_name": plain_name})) == "sk-plain"
        assert openai_api_key(settings.model_copy(update={"openai_secret_name": ssm_name})) == "sk-ssm"
        with pytest.raises(ProviderConfigError, match="Cannot read"):
            openai_api_key(settings.model_copy(update={"openai_secret_name": "missing-secret"}))
