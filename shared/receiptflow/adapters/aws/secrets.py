"""The OpenAI API key: ``OPENAI_API_KEY`` locally; in AWS from Secrets Manager or SSM Parameter Store
(``settings.openai_secret_name``) through Powertools Parameters, fetched on first use and cached.

A name starting with ``/`` is an SSM SecureString parameter; any other name is a Secrets Manager secret whose
value is either the key itself or JSON with an ``OPENAI_API_KEY`` (or ``api_key``) member.
"""

from __future__ import annotations

import json
import os

from receiptflow.errors import ProviderConfigError
from receiptflow.settings import Settings

SECRET_MAX_AGE_SECONDS = 900
_JSON_KEYS = ("OPENAI_API_KEY", "openai_api_key", "api_key")


def openai_api_key(settings: Settings) -> str:
    """The key to call OpenAI with, or ``ProviderConfigError`` saying where it was looked for."""
    from_env = os.environ.get("OPENAI_API_KEY", "").strip()
    if from_env:
        return from_env
    if settings.openai_secret_name:
        return _from_aws(settings.openai_secret_name)
    raise ProviderConfigError(
        "No OpenAI API key: set OPENAI_API_KEY, or RECEIPTFLOW_OPENAI_SECRET_NAME to a Secrets Manager "
        "secret or an SSM parameter (name starting with '/') holding it.",
        "openai",
    )


def _from_aws(name: str) -> str:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if name.startswith("/"):
            value = parameters.get_parameter(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
        else:
            value = parameters.get_secret(name, max_age=SECRET_MAX_AGE_SECONDS)
    except (GetParameterError, ClientError, BotoCoreError) as error:
        raise ProviderConfigError(f"Cannot read the OpenAI key from {name!r}: {error}", "openai") from error
    key = _key_from_value(value)
    if not key:
        raise ProviderConfigError(f"The secret {name!r} holds no OpenAI API key", "openai")
    return key


def _key_from_value(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                return ""
        else:
            return text
    if isinstance(value, dict):
        return next((str(value[k]).strip() for k in _JSON_KEYS if value.get(k)), "")
    return ""
