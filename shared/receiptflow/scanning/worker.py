"""The work of the local process pool: what the parent does for an item before a worker (read, hash, ask
the cache: :class:`ParentPreparer`), and what runs inside each worker process (one ``Scanner`` per
provider, built once and reused: :func:`init_worker`, :func:`scan_task`). The pool itself is
``receiptflow.adapters.embedded.process_pool``; the composition root hands it these.

Each step is done once: the parent reads, hashes and asks the cache by the file's hash (so repeats never
reach a worker) and hands the worker the hash; the worker reads the bytes again (workers get keys, not
bytes), decodes them once (intake's decoded pixels go to the engine) and neither hashes the file nor asks
the cache for it again, unless the file changed in between (:func:`source_stamp`).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from receiptflow.errors import FileReadError, NotFoundError, ReceiptflowError, StoreUnavailableError
from receiptflow.intake.files import path_from_key, read_regular_file
from receiptflow.models import BatchItem, ScanResult, error_result
from receiptflow.ports import BlobStore, PoolTask, ResultCache
from receiptflow.scanning.scanner import Scanner, served_from_cache, sha256_hex, source_cache_key
from receiptflow.settings import Settings

logger = logging.getLogger(__name__)

# Builds the scanner for a provider name in a worker (picklable: a module-level function of the wiring).
ScannerBuilder = Callable[[str, Settings, ResultCache | None], Scanner]


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


# A file's version: device, inode, size, modification time (ns).
Stamp = tuple[int, int, int, int]


def source_stamp(key: str | None) -> Stamp | None:
    """The version of the file ``key`` names; None for a key in a blob store or a path that cannot be
    examined. A stamp taken before one read equal to one taken after another means both read the same
    bytes (a write changes the size or the modification time, a replacement the inode)."""
    path = path_from_key(key) if key else None
    if path is None:
        return None
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class ParentPreparer:
    """``ItemPreparer`` of the local pool: the parent reads and hashes each item and answers repeats itself
    (the result cache), so only misses reach a worker; workers get the item's key, not its bytes, so a
    broken pool cannot wedge on a full pipe, along with the hash and the file's stamp (blobs are written
    once, before their batch starts: their hash is passed as it is)."""

    def __init__(self, settings: Settings, cache: ResultCache | None, blobs: BlobStore | None) -> None:
        self.settings = settings
        self.cache = cache
        self.blobs = blobs

    def __call__(self, item: BatchItem, provider: str | None, use_cache: bool) -> ScanResult | PoolTask:
        """The item's final result when the parent can tell it (unreadable, cached), else its pool task."""
        name = provider or self.settings.provider
        start = time.perf_counter()
        stamp = source_stamp(item.blob_key)
        try:
            data = read_source(item.blob_key, item.source, self.blobs, self.settings.max_file_bytes)
        except ReceiptflowError as e:
            return error_result(e, item.source, None, (time.perf_counter() - start) * 1000)
        sha = sha256_hex(data)
        cache = self.cache if use_cache else None
        stored = self._cached(cache, sha, name)
        if stored is not None:
            return served_from_cache(stored, item.source, sha, (time.perf_counter() - start) * 1000)
        # the hash holds for a file while its stamp does (taken before the read), for a blob always
        vouched = sha if stamp is not None or path_from_key(item.blob_key or "") is None else None
        return PoolTask(
            key=sha,
            fn=scan_task,
            args=(item.blob_key or "", item.source, name, cache is not None, vouched, stamp),
        )

    def _cached(self, cache: ResultCache | None, sha: str, provider: str) -> ScanResult | None:
        """The cached result for this content; an unavailable cache is a miss (the worker scans)."""
        if cache is None:
            return None
        try:
            return cache.get(source_cache_key(sha, provider))
        except StoreUnavailableError:
            logger.warning("result cache unavailable", extra={"sha256": sha})
            return None


@dataclass
class _WorkerState:
    settings: Settings
    cache: ResultCache | None
    blobs: BlobStore | None
    build_scanner: ScannerBuilder
    scanners: dict[str, Scanner] = field(default_factory=dict)


_state: _WorkerState | None = None


def init_worker(
    settings: Settings, cache: ResultCache | None, blobs: BlobStore | None, build_scanner: ScannerBuilder
) -> None:
    """Process initializer (after the composition root applied the worker's resource limits): ignore
    Ctrl-C (the main process decides when to stop; the pool spawns workers with SIGINT blocked until here)
    and keep the settings, cache, blob store and scanner builder (all picklable) for the scanners built on
    first use."""
    global _state
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _state = _WorkerState(settings=settings, cache=cache, blobs=blobs, build_scanner=build_scanner)


def _worker_state() -> _WorkerState:
    if _state is None:
        raise RuntimeError("worker used before init_worker")
    return _state


def _scanner(state: _WorkerState, provider_name: str) -> Scanner:
    scanner = state.scanners.get(provider_name)
    if scanner is None:
        scanner = state.scanners[provider_name] = state.build_scanner(
            provider_name, state.settings, state.cache
        )
    return scanner


def scan_task(
    key: str,
    source: str,
    provider_name: str,
    use_cache: bool,
    source_sha256: str | None = None,
    stamp: Stamp | None = None,
) -> str:
    """Read and scan one file in this worker; returns the ``ScanResult`` as JSON (never raises per item).

    ``source_sha256`` is the file's hash as the parent read it (the cache already asked for it), ``stamp``
    the file's version then: the hash is used as it is while the file is unchanged; otherwise (or without
    one) the scanner hashes the bytes and asks the cache itself."""
    state = _worker_state()
    try:
        data = read_source(key, source, state.blobs, state.settings.max_file_bytes)
    except ReceiptflowError as e:
        return error_result(e, source, None).model_dump_json()
    if stamp is not None and source_stamp(key) != stamp:  # taken after reading: covers the read
        source_sha256 = None  # the file changed since the parent stamped it
    try:
        scanner = _scanner(state, provider_name)
    except Exception as e:  # e.g. an unknown or unconfigured provider: an error row per item
        return error_result(e, source, source_sha256 or sha256_hex(data)).model_dump_json()
    return scanner.scan(data, source, use_cache=use_cache, source_sha256=source_sha256).model_dump_json()


def process_task(key: str, source: str, provider_name: str, use_cache: bool) -> str:
    """Read and scan one file in this worker for a caller waiting on it (``POST /v1/scan``): the
    ``ScanResult`` as JSON, or the typed ``ReceiptflowError`` raised (the pool hands it to the caller; any
    other exception becomes an ``internal_error`` one, so what crosses back always pickles)."""
    state = _worker_state()
    data = read_source(key, source, state.blobs, state.settings.max_file_bytes)
    try:
        return _scanner(state, provider_name).process(data, source, use_cache=use_cache).model_dump_json()
    except ReceiptflowError:
        raise
    except Exception as e:  # noqa: BLE001 - only typed errors cross the process boundary
        raise ReceiptflowError(f"{type(e).__name__}: {e}") from None
