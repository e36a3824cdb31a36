"""What runs inside each worker process (one ``Scanner`` per provider, built once and reused), and
the reading of an item's bytes that the main process shares with it."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from receiptflow.adapters.embedded.worker_limits import apply_worker_limits
from receiptflow.errors import FileReadError, NotFoundError, ReceiptflowError
from receiptflow.intake.files import path_from_key, read_regular_file
from receiptflow.pipeline import Scanner, error_result, sha256_hex
from receiptflow.ports import BlobStore, ResultCache
from receiptflow.settings import Settings


def read_source(key: str | None, source: str, blobs: BlobStore | None, max_bytes: int) -> bytes:
    """Bytes named by ``key``: a file path (``path_from_key``; only a regular file is read, without
    blocking: ``read_regular_file``), else a key in ``blobs``. A missing or unreadable file is
    ``FileReadError``; a file over ``max_bytes`` is ``TooLargeError`` without reading it."""
    if not key:
        raise FileReadError(f"{source}: item has no blob key")
    path = path_from_key(key)
    if path is not None:
        return read_regular_file(path, source, max_bytes)
    if blobs is None:
        raise FileReadError(f"{source}: no blob store for key {key!r}")
    try:
        return blobs.get(key)
    except NotFoundError as e:
        raise FileReadError(f"{source}: blob {key!r} not found") from e


@dataclass
class _WorkerState:
    settings: Settings
    cache: ResultCache | None
    blobs: BlobStore | None
    scanners: dict[str, Scanner] = field(default_factory=dict)


_state: _WorkerState | None = None


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the block. Processes spawned meanwhile inherit the mask, so a
    Ctrl-C cannot interrupt a worker before :func:`init_worker` ignores it; here it stays pending."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def init_worker(settings: Settings, cache: ResultCache | None, blobs: BlobStore | None) -> None:
    """Process initializer: ignore Ctrl-C (the main process decides when to stop) and keep the
    settings, cache and blob store (all picklable) for the scanners built on first use."""
    global _state
    apply_worker_limits(settings)  # exit with the parent, memory cap
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _state = _WorkerState(settings=settings, cache=cache, blobs=blobs)


def _worker_state() -> _WorkerState:
    if _state is None:
        raise RuntimeError("worker used before init_worker")
    return _state


def _scanner(state: _WorkerState, provider_name: str) -> Scanner:
    from receiptflow.providers.factory import build_provider

    scanner = state.scanners.get(provider_name)
    if scanner is None:
        provider = build_provider(provider_name, state.settings)
        scanner = state.scanners[provider_name] = Scanner(provider, state.cache, state.settings)
    return scanner


def scan_task(key: str, source: str, provider_name: str, use_cache: bool) -> str:
    """Read and scan one file in this worker; returns the ``ScanResult`` as JSON (never raises per item)."""
    state = _worker_state()
    try:
        data = read_source(key, source, state.blobs, state.settings.max_file_bytes)
    except ReceiptflowError as e:
        return error_result(e, source, None).model_dump_json()
    try:
        scanner = _scanner(state, provider_name)
    except Exception as e:  # e.g. an unknown or unconfigured provider: an error row per item
        return error_result(e, source, sha256_hex(data)).model_dump_json()
    return scanner.scan(data, source, use_cache=use_cache).model_dump_json()
