"""Naming the memory limit an item ran into.

A scanning worker's data segment is capped (``RLIMIT_DATA``, set by the local pool's worker initializer
from ``settings.worker_memory_limit_mb``); an allocation past it fails, which Python code sees as a
``MemoryError``. That becomes a ``resource_limit`` error naming the cap, read back from the process itself
so the message is true wherever it runs (a Lambda sets no cap: the message says so)."""

from __future__ import annotations

import contextlib

from receiptflow.errors import ResourceLimitError

MB = 1024 * 1024


def memory_limit_mb() -> int | None:
    """This process's data-segment cap in MiB, or None when it has none (or the platform has no rlimits)."""
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    with contextlib.suppress(ValueError, OSError):
        soft, _ = resource.getrlimit(resource.RLIMIT_DATA)
        if soft != resource.RLIM_INFINITY:
            return int(soft // MB)
    return None


def out_of_memory(during: str) -> ResourceLimitError:
    """The error for a ``MemoryError`` raised while ``during`` (e.g. ``"decoding the png image"``)."""
    cap = memory_limit_mb()
    limit = f"memory limit {cap} MiB" if cap is not None else "memory limit (the memory available)"
    return ResourceLimitError(f"{limit}: {during} needed more memory than the limit allows")
