"""Build the provider (or provider chain) a command or handler asked for, by name, once per process, for
an explicit mode (``local`` on a machine, ``aws`` in Lambda; never guessed from the settings).

- ``local``: the on-machine OCR engine, as it is.
- ``textract`` / ``openai``: that cloud provider behind its retries and shared circuit breaker.
- ``auto``: the providers in ``settings.provider_order`` that are **configured** here, in that order: Textract
  needs AWS credentials and a region, OpenAI an API key (``OPENAI_API_KEY``, or a Secrets Manager secret / SSM
  parameter named by ``settings.openai_secret_name``), ``local`` the OCR engine's packages. A provider that is
  not configured is not in the chain, so it can neither fail every fallback nor open its breaker. In local
  mode ``local`` is added as the offline last resort; in AWS a chain with nothing configured is refused with
  ``ProviderConfigError`` saying why.

``provider_readiness`` says, for ``GET /health`` and ``GET /v1/stats``, which providers are configured, which
are in the chain, and why the others are not. Breaker state lives in DynamoDB in AWS, in the embedded SQLite
database on a machine. The scanner for a provider is built here too (:func:`build_scanner`), the one place a
``Scanner`` is made.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from typing import Literal

from receiptflow.errors import ProviderConfigError
from receiptflow.ports import BreakerStore, Provider, ResultCache
from receiptflow.providers.breaker import CircuitBreaker
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import Settings

Mode = Literal["local", "aws"]

PROVIDER_NAMES = ("local", "textract", "openai", "auto")
CLOUD_PROVIDERS = ("textract", "openai")
logger = logging.getLogger(__name__)
_cache: dict[tuple[str, str, str], Provider] = {}
_readiness: dict[tuple[str, str], list[ProviderReadiness]] = {}
_lock = threading.RLock()  # _build (under the lock) may read provider_readiness


@dataclass(frozen=True)
class ProviderReadiness:
    """Whether one provider can be used here and whether the configured chain uses it."""

    name: str
    configured: bool
    in_chain: bool
    reason: str


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
        _readiness.clear()


def _build(name: str, settings: Settings, mode: Mode) -> Provider:
    if name == "local":
        return _single("local", settings)
    if name == "auto":
        order = auto_order(settings, mode=mode)
        logger.info("provider auto", extra={"order": ",".join(order)})
        if not order:
            reasons = "; ".join(
                f"{r.name}: {r.reason}" for r in provider_readiness(settings, mode=mode) if not r.configured
            )
            raise ProviderConfigError(
                f"No provider in RECEIPTFLOW_PROVIDER_ORDER={settings.provider_order!r} is configured "
                f"({reasons})"
            )
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
        from receiptflow.adapters.ocr.provider import LocalProvider

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
    order = [n.strip() for n in settings.provider_order.split(",") if n.strip()] or list(CLOUD_PROVIDERS)
    usable = [n for n in order if is_configured(n, settings)[0]]
    if mode == "local" and "local" not in usable:
        usable.append("local")
    return usable


def chain_names(settings: Settings, *, mode: Mode) -> list[str]:
    """The providers ``build_provider(settings.provider, settings, mode=mode)`` uses, in order."""
    return auto_order(settings, mode=mode) if settings.provider == "auto" else [settings.provider]


def is_configured(name: str, settings: Settings) -> tuple[bool, str]:
    """Whether provider ``name`` can be used here, and why (or why not)."""
    if name == "textract":
        return _aws_readiness()
    if name == "openai":
        return _openai_readiness(settings)
    if name == "local":
        missing = [m for m in ("rapidocr", "onnxruntime") if importlib.util.find_spec(m) is None]
        if missing:
            return False, f"the on-machine OCR engine is not installed ({', '.join(missing)} missing)"
        return True, "on-machine OCR engine installed"
    return False, f"unknown provider {name!r}"


def provider_readiness(settings: Settings, *, mode: Mode) -> list[ProviderReadiness]:
    """Every known provider: configured or not (with the reason), in the chain or not. Computed once per
    settings and mode (it may look for AWS credentials)."""
    key = (mode, settings.model_dump_json())
    with _lock:
        cached = _readiness.get(key)
    if cached is not None:
        return cached
    chain = chain_names(settings, mode=mode)
    states = []
    for name in ("textract", "openai", "local"):
        configured, reason = is_configured(name, settings)
        states.append(ProviderReadiness(name, configured, name in chain, reason))
    with _lock:
        _readiness[key] = states
    return states


def _aws_readiness() -> tuple[bool, str]:
    from receiptflow.adapters.aws.clients import aws_readiness

    return aws_readiness()


def _openai_readiness(settings: Settings) -> tuple[bool, str]:
    if os.environ.get("OPENAI_API_KEY", "").strip():
        return True, "key from OPENAI_API_KEY"
    name = settings.openai_secret_name
    if name:
        where = "SSM parameter" if name.startswith("/") else "Secrets Manager secret"
        return True, f"key from the {where} {name!r}"
    return False, (
        "no OpenAI API key: set OPENAI_API_KEY, or RECEIPTFLOW_OPENAI_SECRET_NAME (the template's "
        "OpenAISecretName) to a Secrets Manager secret or an SSM parameter starting with '/'"
    )


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
