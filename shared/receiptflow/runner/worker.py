"""What runs inside each worker process: one ``Scanner`` per provider, built once and reused."""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

from receiptflow.pipeline import Scanner, error_result, sha256_hex
from receiptflow.ports import ResultCache
from receiptflow.settings import Settings


@dataclass
class _WorkerState:
    settings: Settings
    cache: ResultCache | None
    scanners: dict[str, Scanner] = field(default_factory=dict)


_state: _WorkerState | None = None


def init_worker(settings: Settings, cache: ResultCache | None) -> None:
    """Process initializer: ignore Ctrl-C (the main process decides when to stop) and keep the
    settings and cache for the scanners built on first use."""
    global _state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _state = _WorkerState(settings=settings, cache=cache)


def _scanner(provider_name: str) -> Scanner:
    from receiptflow.providers.factory import build_provider

    if _state is None:
        raise RuntimeError("worker used before init_worker")
    scanner = _state.scanners.get(provider_name)
    if scanner is None:
        provider = build_provider(provider_name, _state.settings)
        scanner = _state.scanners[provider_name] = Scanner(provider, _state.cache, _state.settings)
    return scanner


def scan_task(data: bytes, source: str, provider_name: str, use_cache: bool) -> str:
    """Scan one file in this worker; returns the ``ScanResult`` as JSON (never raises per item)."""
    try:
        scanner = _scanner(provider_name)
    except Exception as e:  # e.g. an unknown or unconfigured provider: an error row per item
        return error_result(e, source, sha256_hex(data)).model_dump_json()
    return scanner.scan(data, source, use_cache=use_cache).model_dump_json()
