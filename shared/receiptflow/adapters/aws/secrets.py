"""Secrets read in AWS through Powertools Parameters, fetched on first use and cached (15 minutes):

- the OpenAI API key: ``OPENAI_API_KEY`` locally; in AWS from ``settings.openai_secret_name``, whose value
  is either the key itself or JSON with an ``OPENAI_API_KEY`` (or ``api_key``) member;
- the completion-webhook signing secret: ``settings.webhook_secret`` when set, else from
  ``settings.webhook_secret_name`` (the secret itself, or JSON with a ``webhook_secret`` member).

A name starting with ``/`` is an SSM SecureString parameter; any other name (or ARN) is a Secrets Manager
secret.
"""

from __future__ import annotations

import json
import os

from receiptflow.errors import ProviderConfigError, ReceiptflowError
from receiptflow.settings import Settings

SECRET_MAX_AGE_SECONDS = 900
_JSON_KEYS = ("OPENAI_API_KEY", "openai_api_key", "api_key")
_WEBHOOK_JSON_KEYS = ("webhook_secret", "WEBHOOK_SECRET", "secret")


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


def webhook_secret(settings: Settings) -> str:
    """The secret completion webhooks are signed with; ``ReceiptflowError`` when none is configured or
    it cannot be read."""
    if settings.webhook_secret:
        return settings.webhook_secret
    name = settings.webhook_secret_name
    if not name:
        raise ReceiptflowError(
            "No webhook signing secret: set RECEIPTFLOW_WEBHOOK_SECRET_NAME (the template's "
            "WebhookSecretName, or the secret the stack creates) or RECEIPTFLOW_WEBHOOK_SECRET."
        )
    try:
        value = _read(name)
    except ReadError as error:
        raise ReceiptflowError(f"Cannot read the webhook secret from {name!r}: {error}") from error
    secret = _key_from_value(value, _WEBHOOK_JSON_KEYS)
    if not secret:
        raise ReceiptflowError(f"The secret {name!r} holds no webhook signing secret")
    return secret


class ReadError(Exception):
    """Secrets Manager or SSM could not be read (the message says why)."""


def _read(name: str) -> object:
    """The value kept under ``name``: an SSM SecureString when it starts with ``/``, else a secret."""
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        if name.startswith("/"):
            return parameters.get_parameter(name, decrypt=True, max_age=SECRET_MAX_AGE_SECONDS)
        return parameters.get_secret(name, max_age=SECRET_MAX_AGE_SECONDS)
    except (GetParameterError, ClientError, BotoCoreError) as error:
        raise ReadError(str(error)) from error


def _from_aws(name: str) -> str:
    try:
        value = _read(name)
    except ReadError as error:
        raise ProviderConfigError(f"Cannot read the OpenAI key from {name!r}: {error}", "openai") from error
    key = _key_from_value(value, _JSON_KEYS)
    if not key:
        raise ProviderConfigError(f"The secret {name!r} holds no OpenAI API key", "openai")
    return key


def _key_from_value(value: object, json_keys: tuple[str, ...]) -> str:
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
        return next((str(value[k]).strip() for k in json_keys if value.get(k)), "")
    return ""
