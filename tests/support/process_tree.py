"""The processes of a command's tree (psutil), and waiting for them all to be gone."""

from __future__ import annotations

import time

import psutil


def tree(pid: int) -> list[psutil.Process]:
    """``pid`` and every descendant (workers, the multiprocessing resource tracker)."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def command_line(process: psutil.Process) -> str:
    """The process's command line, or "" once it is a zombie or gone (workers come and go)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def survivors(processes: list[psutil.Process], within_s: float) -> list[str]:
    """The processes still running (zombies count as gone) after waiting up to ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        alive = [p for p in processes if _running(p)]
        if not alive or time.monotonic() > deadline:
            return [f"{p.pid} {command_line(p)[:120]}" for p in alive if _running(p)]
        time.sleep(0.05)


def _running(process: psutil.Process) -> bool:
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def kill_all(processes: list[psutil.Process]) -> None:
    """SIGKILL whatever is left of ``processes`` (test clean-up only)."""
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
