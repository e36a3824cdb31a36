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
  that is a ``MemoryError`` (a ``resource_limit`` row naming the cap), in a C library such as PDFium the
  worker aborts.

The per-item limits are enforced from the parent (:class:`PoolWatch`), since C code cannot be interrupted
from inside: each worker says on a :class:`WorkerBoard` (a private folder, one small file per worker)
which task it is running and since when; a watchdog thread in the parent samples every busy worker's
memory and stops (SIGKILL) one whose item is past ``settings.item_timeout_seconds`` or whose data nears
its cap, and records why. When the pool then breaks, :meth:`PoolWatch.judge` tells the dispatcher, for
each task that was in flight, what happened to it: stopped at a limit (a ``resource_limit`` error naming
the limit), its own worker died (a crash, or a limit if its memory was at the cap when it died), or it
was a bystander (its worker was terminated by the pool because another one died: scan it again).
Exit codes come from the worker processes themselves (the pool's context records them).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import faulthandler
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from types import FrameType
from typing import IO, Any

from receiptflow.errors import ItemTimeoutError, ReceiptflowError, ResourceLimitError
from receiptflow.intake.limits import out_of_memory
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


# --- per-item limits: the worker's side ------------------------------------------------------------
_STALE_S = 5.0  # how long the judge waits for the workers of a broken pool to be reaped
_BREAKS_KEPT = 16  # analyses of broken pools kept for their late futures


@dataclass(frozen=True)
class BoardEntry:
    """What a worker last wrote on the board: its pool, and the task it is running (None: idle)."""

    pid: int
    pool: int
    token: str | None = None
    started: float = 0.0  # time.monotonic() in the worker (one clock for every process of the machine)


class WorkerBoard:
    """The folder where each worker of a pool says what it is doing: ``<pid>`` holds ``<pool> [<token>
    <started>]`` (rewritten atomically), ``<pid>.crash`` whatever ``faulthandler`` wrote if it died of a
    fatal signal."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, entry: BoardEntry) -> None:
        """Record ``entry`` (atomically: a reader sees the old or the new one)."""
        text = f"{entry.pool}" if entry.token is None else f"{entry.pool} {entry.token} {entry.started!r}"
        tmp = self.path / f"{entry.pid}.tmp"
        tmp.write_text(text, encoding="ascii")
        os.replace(tmp, self.path / str(entry.pid))

    def entries(self) -> dict[int, BoardEntry]:
        """Every worker's last entry, by pid."""
        found: dict[int, BoardEntry] = {}
        with contextlib.suppress(FileNotFoundError):
            for child in self.path.iterdir():
                if not child.name.isdigit():
                    continue
                with contextlib.suppress(OSError, ValueError, IndexError):
                    parts = child.read_text(encoding="ascii").split()
                    pid = int(child.name)
                    if len(parts) == 3:
                        found[pid] = BoardEntry(pid, int(parts[0]), parts[1], float(parts[2]))
                    else:
                        found[pid] = BoardEntry(pid, int(parts[0]))
        return found

    def crash_file(self, pid: int) -> Path:
        """Where ``faulthandler`` of worker ``pid`` writes."""
        return self.path / f"{pid}.crash"

    def crash_site(self, pid: int) -> str:
        """Where worker ``pid`` was when a fatal signal ended it (innermost Python frame), or ``""``."""
        try:
            lines = self.crash_file(pid).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        frames = [line.strip() for line in lines if line.strip().startswith("File ")]
        if not frames:
            return ""
        # 'File "/…/pypdfium2/_helpers/document.py", line 406 in get_page'
        where, _, function = frames[0].rpartition(" in ")
        module = "/".join(where.split('"')[1].split("/")[-2:]) if '"' in where else where
        return f" in {function} ({module})"

    def forget(self, pid: int) -> None:
        """Remove worker ``pid``'s files."""
        for name in (str(pid), f"{pid}.tmp", f"{pid}.crash"):
            with contextlib.suppress(OSError):
                (self.path / name).unlink()


@dataclass
class _WorkerSide:
    board: WorkerBoard
    pool: int
    crash_log: IO[str] | None = None


_worker: _WorkerSide | None = None


def init_watched_worker(
    board_path: str, pool: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
) -> None:
    """Pool initializer: join the board (idle), leave a trace of fatal signals, then ``initializer``."""
    global _worker
    board = WorkerBoard(Path(board_path))
    pid = os.getpid()
    crash_log = board.crash_file(pid).open("w", encoding="utf-8")
    faulthandler.enable(file=crash_log, all_threads=False)
    _worker = _WorkerSide(board=board, pool=pool, crash_log=crash_log)
    board.write(BoardEntry(pid, pool))
    initializer(*initargs)


def run_watched(token: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run one task in a worker under its per-item limits: on the board while it runs; a
    ``MemoryError`` that escapes it is a ``ResourceLimitError`` naming the cap."""
    side = _worker
    if side is None:
        raise RuntimeError("run_watched outside a watched worker")
    pid = os.getpid()
    side.board.write(BoardEntry(pid, side.pool, token, time.monotonic()))
    try:
        return fn(*args)
    except MemoryError as e:
        raise out_of_memory("scanning this file") from e
    finally:
        side.board.write(BoardEntry(pid, side.pool))


class _RecordedProcess(SpawnProcess):
    """A spawned worker the parent can find again by pid (for its exit code)."""

    def start(self) -> None:
        super().start()
        if self.pid is not None:
            with _spawned_lock:
                _spawned[self.pid] = self


_spawned: dict[int, SpawnProcess] = {}
_spawned_lock = threading.Lock()


class WatchedSpawnContext(SpawnContext):
    """The ``spawn`` context, recording every worker process it starts (see :class:`PoolWatch`)."""

    Process = _RecordedProcess


# --- per-item limits: the parent's side ------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """What happened to one task when its pool broke. ``error`` set: it hit a limit (final, not
    retried). ``crashed``: its own worker died for another reason (``detail`` says how). Neither: a
    bystander (its worker was stopped because another one died): scan it again."""

    error: ReceiptflowError | None = None
    crashed: bool = False
    detail: str = ""


@dataclass
class _Peak:
    data_mb: int = 0
    rss_mb: int = 0


@dataclass
class _Break:
    """The analysis of one broken pool, shared by every task that was in flight on it."""

    verdicts: dict[str, Verdict] = field(default_factory=dict)
    cause_known: bool = False  # some worker of it was stopped by us or died on its own


class PoolWatch:
    """The parent's side of the per-item limits of a pool's workers (see the module doc). ``start``
    before the first pool, ``close`` after the last."""

    def __init__(
        self,
        memory_limit_mb: int,
        item_timeout_s: float,
        *,
        resident_budget_mb: int = 0,
        interval_s: float = 0.05,
    ) -> None:
        self.memory_limit_mb = memory_limit_mb
        self.resident_budget_mb = resident_budget_mb  # RSS past it stops the worker too (0: no check)
        self.item_timeout_s = item_timeout_s
        self.interval_s = interval_s
        # stop a worker whose data is this close to its cap; a dead one this close died of it
        margin = max(memory_limit_mb // 32, 16)
        self.stop_at_mb = memory_limit_mb - margin
        self.suspect_at_mb = memory_limit_mb - max(memory_limit_mb // 8, 4 * margin)
        self.context = WatchedSpawnContext()
        self._board: WorkerBoard | None = None
        self._lock = threading.Lock()
        self._stopped: dict[str, ReceiptflowError] = {}  # token -> why its worker was stopped
        self._peaks: dict[tuple[int, str], _Peak] = {}
        self._breaks: dict[int, _Break] = {}
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def board(self) -> WorkerBoard:
        """The board (created on first use)."""
        with self._lock:
            if self._board is None:
                self._board = WorkerBoard(Path(tempfile.mkdtemp(prefix="receiptflow-workers-")))
            return self._board

    def initializer(
        self, pool: int, initializer: Callable[..., None], initargs: tuple[Any, ...]
    ) -> tuple[Callable[..., None], tuple[Any, ...]]:
        """The pool initializer (and its arguments) that puts the workers of pool ``pool`` on the board
        before running ``initializer(*initargs)``."""
        return init_watched_worker, (str(self.board.path), pool, initializer, initargs)

    def start(self) -> None:
        """Start the watchdog thread (idempotent)."""
        with self._lock:
            limits = self.memory_limit_mb or self.item_timeout_s or self.resident_budget_mb
            if self._thread is not None or not limits:
                return
            self._halt.clear()
            self._thread = threading.Thread(target=self._loop, name="pool-watch", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the watchdog and remove the board (after the pool is shut down)."""
        self._halt.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(5)
        with self._lock:
            board, self._board = self._board, None
        if board is not None:
            shutil.rmtree(board.path, ignore_errors=True)

    # --- the watchdog ------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._halt.wait(self.interval_s):
            try:
                self._check()
            except Exception:  # noqa: BLE001 - the watchdog must outlive one bad sample
                continue

    def _check(self) -> None:
        now = time.monotonic()
        entries = self.board.entries().values()
        current = {(entry.pid, entry.token) for entry in entries if entry.token is not None}
        with self._lock:  # peaks of tasks that ended are not needed any more
            self._peaks = {key: peak for key, peak in self._peaks.items() if key in current}
        for entry in entries:
            if entry.token is None or entry.token in self._stopped:
                continue
            process = _spawned.get(entry.pid)
            if process is None or process.exitcode is not None:
                continue
            usage = _memory_mb(entry.pid)
            if usage is not None:
                peak = self._peaks.setdefault((entry.pid, entry.token), _Peak())
                peak.data_mb, peak.rss_mb = max(peak.data_mb, usage[0]), max(peak.rss_mb, usage[1])
            elapsed = now - entry.started
            if self.item_timeout_s and elapsed > self.item_timeout_s:
                self._stop(
                    entry,
                    ItemTimeoutError(
                        f"time limit {self.item_timeout_s:g} s: the file was still being scanned after "
                        f"{elapsed:.0f} s, so its worker was stopped (item_timeout_seconds)"
                    ),
                )
            elif self.memory_limit_mb and usage is not None and max(usage) >= self.stop_at_mb:
                self._stop(
                    entry,
                    ResourceLimitError(
                        f"memory limit {self.memory_limit_mb} MiB: scanning this file took the worker's "
                        f"memory to {max(usage)} MiB, so it was stopped (worker_memory_limit_mb)"
                    ),
                )
            elif self.resident_budget_mb and usage is not None and usage[1] >= self.resident_budget_mb:
                self._stop(
                    entry,
                    ResourceLimitError(
                        f"memory limit {self.resident_budget_mb} MiB resident: scanning this file took the "
                        f"worker to {usage[1]} MiB, so it was stopped (worker_memory_budget_mb)"
                    ),
                )

    def _stop(self, entry: BoardEntry, why: ReceiptflowError) -> None:
        assert entry.token is not None
        with self._lock:
            self._stopped[entry.token] = why
        with contextlib.suppress(ProcessLookupError):
            os.kill(entry.pid, signal.SIGKILL)

    # --- after a pool broke --------------------------------------------------------------------------
    def judge(self, token: str, pool: int) -> Verdict:
        """What happened to task ``token`` when pool ``pool`` broke (see :class:`Verdict`). If no worker
        of the pool can be blamed (none was stopped by us or died on its own), every task in flight is
        counted as crashed, so a pool that cannot stay up ends its tasks instead of looping."""
        with self._lock:
            broken = self._breaks.get(pool)
        if broken is None:
            broken = self._analyse(pool)
            with self._lock:
                broken = self._breaks.setdefault(pool, broken)
                while len(self._breaks) > _BREAKS_KEPT:
                    del self._breaks[next(iter(self._breaks))]
        verdict = broken.verdicts.get(token)
        if verdict is not None:
            return verdict
        if broken.cause_known:
            return Verdict()
        return Verdict(crashed=True, detail="the pool broke and no worker of it could be blamed")

    def _analyse(self, pool: int) -> _Break:
        board = self.board
        broken = _Break()
        for entry in board.entries().values():
            if entry.pool != pool:
                continue
            exitcode = _exit_code(entry.pid)
            with self._lock:
                stopped = self._stopped.pop(entry.token, None) if entry.token else None
                peak = self._peaks.pop((entry.pid, entry.token), None) if entry.token else None
            if stopped is not None:
                broken.cause_known = True
                assert entry.token is not None
                broken.verdicts[entry.token] = Verdict(error=stopped)
            elif exitcode is not None and exitcode != -signal.SIGTERM:
                broken.cause_known = True
                if entry.token is not None:
                    broken.verdicts[entry.token] = self._died(entry, exitcode, peak)
            board.forget(entry.pid)
            with _spawned_lock:
                _spawned.pop(entry.pid, None)
        return broken

    def _died(self, entry: BoardEntry, exitcode: int, peak: _Peak | None) -> Verdict:
        how = _exit_text(exitcode) + self.board.crash_site(entry.pid)
        if self.memory_limit_mb and peak is not None and max(peak.data_mb, peak.rss_mb) >= self.suspect_at_mb:
            return Verdict(
                error=ResourceLimitError(
                    f"memory limit {self.memory_limit_mb} MiB: the worker scanning this file died ({how}) "
                    f"with its memory at {max(peak.data_mb, peak.rss_mb)} MiB (worker_memory_limit_mb)"
                )
            )
        return Verdict(crashed=True, detail=how)


def _exit_code(pid: int) -> int | None:
    """The exit code of worker ``pid`` once the pool has reaped it (waits up to ``_STALE_S``)."""
    process = _spawned.get(pid)
    if process is None:
        return None
    process.join(_STALE_S)
    for _ in range(50):  # the pool's own thread may be reaping it at this very moment
        if process.exitcode is not None:
            return process.exitcode
        time.sleep(0.01)
    return None


def _exit_text(exitcode: int) -> str:
    if exitcode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-exitcode).name}"
        return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _memory_mb(pid: int) -> tuple[int, int] | None:
    """(VmData, VmRSS) of process ``pid`` in MiB, from /proc (None elsewhere, or when it is gone)."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(("VmData:", "VmRSS:")):
                    name, value = line.split(":", 1)
                    values[name] = int(value.split()[0]) // 1024
    except (OSError, ValueError):
        return None
    if len(values) < 2:
        return None
    return values["VmData"], values["VmRSS"]
