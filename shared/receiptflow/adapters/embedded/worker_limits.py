"""Limits every scanning worker process puts on itself at start-up (called from the pool initializer).

- **It never outlives its parent.** A ``kill -9`` of the main process (the OOM killer, a container stop)
  must not leave OCR workers running on for ever. Two mechanisms, because each has a blind spot:

  - a watchdog thread blocks on the parent's sentinel (the pipe ``multiprocessing`` keeps to the parent;
    it becomes readable when the parent is gone, on every platform) and ends the process at once;
  - on Linux, ``prctl(PR_SET_PDEATHSIG)`` also asks the kernel for a signal when the parent goes, which
    arrives even if the main thread is stuck in C code. The kernel sends it when the parent *thread*
    that started the worker ends, and the server starts workers from short-lived batch threads, so the
    signal only triggers a check: the handler exits when the parent process is really gone.

- **It runs under a memory cap.** ``RLIMIT_DATA`` (heap and private mappings, what decoding allocates;
  address space as a whole is not capped, since thread stacks and ONNX Runtime reserve far more than
  they use) is set to ``settings.worker_memory_limit_mb``. An allocation past it fails: in Python code
  that is a ``MemoryError`` (intake turns it into a ``resource_limit`` row), in a C library such as
  PDFium the worker aborts and the runner replaces it (the item ends as ``worker_crashed``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
from types import FrameType

from receiptflow.settings import Settings

ORPHAN_EXIT_CODE = 70
_PR_SET_PDEATHSIG = 1
_PARENT_DEATH_SIGNAL = signal.SIGUSR1
MB = 1024 * 1024


def apply_worker_limits(settings: Settings) -> None:
    """Everything a worker does to itself at start: exit with the parent, cap its memory."""
    exit_with_parent()
    cap_memory(settings.worker_memory_limit_mb)


def exit_with_parent() -> None:
    """End this process as soon as the process that started it is gone (see the module doc)."""
    parent = multiprocessing.parent_process()
    if parent is None or parent.pid is None:
        return
    parent_pid = parent.pid
    if sys.platform.startswith("linux"):
        _parent_death_signal(parent_pid)
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()
    if os.getppid() != parent_pid:  # it died before we got here
        os._exit(ORPHAN_EXIT_CODE)


def _watch(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent's sentinel (its end of a pipe) closes: the parent is gone
    os._exit(ORPHAN_EXIT_CODE)


def _parent_death_signal(parent_pid: int) -> None:
    def on_parent_thread_exit(signum: int, frame: FrameType | None) -> None:
        if os.getppid() != parent_pid:
            os._exit(ORPHAN_EXIT_CODE)

    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return
    signal.signal(_PARENT_DEATH_SIGNAL, on_parent_thread_exit)
    libc = ctypes.CDLL(libc_name, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, int(_PARENT_DEATH_SIGNAL), 0, 0, 0)


def cap_memory(limit_mb: int) -> None:
    """Cap this process's data segment (heap + private mappings) at ``limit_mb`` MiB; 0 = no cap."""
    if limit_mb <= 0:
        return
    try:
        import resource
    except ImportError:  # not on this platform
        return
    limit = limit_mb * MB
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
