"""Build the provider (or provider chain) a command or handler asked for, by name, once per process.

- ``local``: the on-machine OCR engine, as it is.
- ``textract`` / ``openai``: that cloud provider behind its retries and shared circuit breaker.
- ``auto``: in AWS (``settings.table_name`` set) the chain in ``settings.provider_order``. On a machine, the
  cloud providers in that order that are usable here (AWS credentials and a region for Textract; an OpenAI
  key for OpenAI), then ``local`` as the offline last resort; with no cloud provider usable, just ``local``.

Breaker state lives in DynamoDB when ``settings.table_name`` is set, else in the embedded SQLite database.
"""

from __future__ import annotations

import logging
import os
import threading

from receiptflow.ports import BreakerStore, Provider
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.settings import Settings

PROVIDER_NAMES = ("local", "textract", "openai", "auto")
CLOUD_PROVIDERS = ("textract", "openai")
logger = logging.getLogger(__name__)
_cache: dict[tuple[str, str], Provider] = {}
_lock = threading.Lock()


def build_provider(name: str, settings: Settings) -> Provider:
    """A ready provider for ``name`` (local | textract | openai | auto), built once per settings."""
    if name not in PROVIDER_NAMES:
        raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDER_NAMES)}")
    key = (name, settings.model_dump_json())
    with _lock:
        provider = _cache.get(key)
        if provider is None:
            provider = _cache[key] = _build(name, settings)
    return provider


def clear_provider_cache() -> None:
    """Forget built providers (tests; a process whose settings changed)."""
    with _lock:
        _cache.clear()


def _build(name: str, settings: Settings) -> Provider:
    if name == "local":
        return _single("local", settings)
    if name == "auto":
        order = auto_order(settings)
        logger.info("provider auto", extra={"order": ",".join(order)})
        if order == ["local"]:
            return _single("local", settings)
    else:
        order = [name]
    from receiptflow.providers.chain import ProviderChain

    store = breaker_store(settings)
    providers = [_single(n, settings) for n in order]
    breakers = {n: breaker(n, store, settings) for n in order if n in CLOUD_PROVIDERS}
    return ProviderChain(providers, breakers, settings)


def _single(name: str, settings: Settings) -> Provider:
    if name == "local":
        from receiptflow.providers.local import LocalProvider

        return LocalProvider(settings)
    if name == "textract":
        from receiptflow.adapters.aws.textract import TextractProvider

        return TextractProvider(settings)
    if name == "openai":
        from receiptflow.adapters.openai.vision import OpenAIVisionProvider

        return OpenAIVisionProvider(settings)
    raise ValueError(f"unknown provider {name!r} in the provider order")


def auto_order(settings: Settings) -> list[str]:
    """The providers ``auto`` chains, in order (see the module docstring)."""
    order = [n.strip() for n in settings.provider_order.split(",") if n.strip()]
    if settings.table_name:
        return order or ["textract", "openai"]
    usable = [
        n
        for n in order
        if n == "local" or (n == "textract" and aws_usable()) or (n == "openai" and openai_usable(settings))
    ]
    if "local" not in usable:
        usable.append("local")
    return usable


def aws_usable() -> bool:
    """True when boto3's default chain finds credentials and a region."""
    import boto3

    session = boto3.session.Session(region_name=os.environ.get("AWS_REGION") or None)
    return session.region_name is not None and session.get_credentials() is not None


def openai_usable(settings: Settings) -> bool:
    """True when an OpenAI key is configured (env var or secret name)."""
    return bool(os.environ.get("OPENAI_API_KEY", "").strip() or settings.openai_secret_name)


def breaker_store(settings: Settings) -> BreakerStore:
    """DynamoDB in AWS, the embedded SQLite database on a machine."""
    if settings.table_name:
        from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore

        return DynamoBreakerStore(settings.table_name)
    from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
    from receiptflow.adapters.embedded.sqlite_db import default_db_path

    return SqliteBreakerStore(default_db_path(settings))


def breaker(name: str, store: BreakerStore, settings: Settings) -> CircuitBreaker:
    """The circuit breaker of provider ``name`` as ``settings`` configure it."""
    return CircuitBreaker(
        name,
        store,
        failure_threshold=settings.breaker_failure_threshold,
        window_seconds=settings.breaker_window_seconds,
        cooldown_seconds=settings.breaker_cooldown_seconds,
        probe_timeout_seconds=settings.provider_deadline_seconds + settings.breaker_cooldown_seconds,
    )
