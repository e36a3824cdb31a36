"""Build the provider (or provider chain) a command or handler asked for, by name, once per process, for
an explicit mode (``local`` on a machine, ``aws`` in Lambda; never guessed from the settings).

- ``local``: the on-machine OCR engine, as it is.
- ``textract`` / ``openai``: that cloud provider behind its retries and shared circuit breaker.
- ``auto``: in AWS the chain in ``settings.provider_order``. On a machine, the cloud providers in that
  order that are usable here (AWS credentials and a region for Textract; an OpenAI key for OpenAI), then
  ``local`` as the offline last resort; with no cloud provider usable, just ``local``.

Breaker state lives in DynamoDB in AWS, in the embedded SQLite database on a machine. The scanner for a
provider is built here too (:func:`build_scanner`), the one place a ``Scanner`` is made.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Literal

from receiptflow.ports import BreakerStore, Provider, ResultCache
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import Settings

Mode = Literal["local", "aws"]

PROVIDER_NAMES = ("local", "textract", "openai", "auto")
CLOUD_PROVIDERS = ("textract", "openai")
logger = logging.getLogger(__name__)
_cache: dict[tuple[str, str, str], Provider] = {}
_lock = threading.Lock()


def build_provider(name: str, settings: Settings, *, mode: Mode) -> Provider:
    """A ready provider for ``name`` (local, textract, openai, auto) in ``mode``, built once per settings."""
    if name not in PROVIDER_NAMES:
        raise ValueError(f"unknown provider {name!r}; choose one of {', '.join(PROVIDER_NAMES)}")
    key = (name, mode, settings.model_dump_json())
    with _lock:
        provider = _cache.get(key)
        if provider is None:
            provider = _cache[key] = _build(name, settings, mode)
    return provider


def build_scanner(name: str, settings: Settings, cache: ResultCache | None, *, mode: Mode) -> Scanner:
    """The scanner for provider ``name`` with ``cache`` (None disables caching)."""
    return Scanner(build_provider(name, settings, mode=mode), cache, settings)


def local_scanner(name: str, settings: Settings, cache: ResultCache | None) -> Scanner:
    """:func:`build_scanner` in local mode (module-level, so a worker process can be handed it)."""
    return build_scanner(name, settings, cache, mode="local")


def clear_provider_cache() -> None:
    """Forget built providers (tests; a process whose settings changed)."""
    with _lock:
        _cache.clear()


def _build(name: str, settings: Settings, mode: Mode) -> Provider:
    if name == "local":
        return _single("local", settings)
    if name == "auto":
        order = auto_order(settings, mode=mode)
        logger.info("provider auto", extra={"order": ",".join(order)})
        if order == ["local"]:
            return _single("local", settings)
    else:
        order = [name]
    from receiptflow.providers.chain import ProviderChain

    store = breaker_store(settings, mode=mode)
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


def auto_order(settings: Settings, *, mode: Mode) -> list[str]:
    """The providers ``auto`` chains, in order (see the module docstring)."""
    order = [n.strip() for n in settings.provider_order.split(",") if n.strip()]
    if mode == "aws":
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
    from receiptflow.adapters.aws.clients import credentials_available

    return credentials_available()


def openai_usable(settings: Settings) -> bool:
    """True when an OpenAI key is configured (env var or secret name)."""
    return bool(os.environ.get("OPENAI_API_KEY", "").strip() or settings.openai_secret_name)


def breaker_store(settings: Settings, *, mode: Mode) -> BreakerStore:
    """DynamoDB in AWS, the embedded SQLite database on a machine."""
    if mode == "aws":
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
