"""Tasks for a real worker pool that misbehave on purpose (module level: they cross to spawned workers)."""

from __future__ import annotations

import json
import os
import time

from receiptflow.adapters.embedded.worker_limits import cap_memory

MB = 1024 * 1024


def init_capped(limit_mb: int) -> None:
    """Pool initializer: cap this worker's data segment, as the local pool's workers are."""
    cap_memory(limit_mb)


def pid_task() -> str:
    """This worker's pid (a quick, well-behaved task)."""
    return json.dumps(os.getpid())


def sleep_task(seconds: float) -> str:
    """Take ``seconds`` of wall time, then answer the pid."""
    time.sleep(seconds)
    return pid_task()


def grow_task(step_mb: int, pause_s: float) -> str:
    """Touch ``step_mb`` MiB more every ``pause_s`` until something stops this worker."""
    held: list[bytearray] = []
    while True:
        held.append(bytearray(step_mb * MB))  # zero-filled: every page is touched
        time.sleep(pause_s)
