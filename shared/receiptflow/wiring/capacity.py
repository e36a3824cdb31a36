"""How many scanning workers this machine can run: the default of ``receiptflow scan`` and ``serve``.

A worker is one process holding the OCR models and scanning one image at a time, mostly on the CPU, so the
default is one per usable core, as long as each fits in the memory available:

    workers = max(1, min(usable cores, (available memory - main process) // per-worker budget))

Usable cores are the CPUs this process may run on (``os.sched_getaffinity``), lowered by a cgroup CPU quota
(containers: ``cpu.max``, or ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``) rounded up. Available memory is
what the system can hand out without swapping (psutil), lowered by a cgroup memory limit (``memory.max`` /
``memory.limit_in_bytes``; reclaimable page cache counted as free). The budget is
``settings.worker_memory_budget_mb`` (docs/performance.md, "Hostile inputs": each worker may peak at
1.25 GiB). Each worker's OCR engine then gets ``usable cores // workers`` threads (at least one).

A count asked for (``--workers``, ``RECEIPTFLOW_WORKERS``) is used as it is; the line printed says when it
is more than the cores (each worker then has one thread, and they take turns on the cores).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from receiptflow.settings import Settings

MB = 1024 * 1024
MAIN_PROCESS_MB = 256  # the main process of `scan` (~50 MiB) or `serve` (~200 MiB)
CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a number near 2**63


@dataclass(frozen=True)
class Machine:
    """What the worker count is chosen from."""

    cpus: int  # usable cores
    cpu_note: str  # where that figure comes from, e.g. "2 cores" or "cgroup quota 1.5 of 8 cores"
    available_mb: float | None  # memory available to this process tree; None when unknown
    memory_note: str


@dataclass(frozen=True)
class WorkerChoice:
    """The worker count, the OCR threads each worker runs, and the one line saying why."""

    workers: int
    threads: int
    reason: str

    @property
    def line(self) -> str:
        """What ``scan`` and ``serve`` print."""
        plural = "s" if self.workers != 1 else ""
        threads = f"{self.threads} OCR thread{'s' if self.threads != 1 else ''} each"
        return f"{self.workers} scanning worker{plural}, {threads} ({self.reason})"

    def apply(self, settings: Settings) -> Settings:
        """``settings`` with this worker count, and the thread count unless one was set."""
        threads = settings.ocr_threads or self.threads
        return settings.model_copy(update={"workers": self.workers, "ocr_threads": threads})


def choose_workers(
    machine: Machine, *, requested: int = 0, requested_by: str = "", budget_mb: int = 1280
) -> WorkerChoice:
    """The worker count for ``machine``: ``requested`` when > 0 (named by ``requested_by``), else one per
    usable core while each has ``budget_mb`` of the available memory (the main process's share kept)."""
    cpus = max(1, machine.cpus)
    if requested > 0:
        threads = max(1, cpus // requested)
        extra = f"; more than the {cpus} usable cores: they take turns" if requested > cpus else ""
        return WorkerChoice(requested, threads, f"set by {requested_by or 'settings'}{extra}")
    if machine.available_mb is None:
        return WorkerChoice(cpus, 1, f"one per usable core: {machine.cpu_note}; memory unknown")
    by_memory = int((machine.available_mb - MAIN_PROCESS_MB) // max(1, budget_mb))
    workers = max(1, min(cpus, by_memory))
    memory = (
        f"{machine.available_mb / 1024:.1f} GiB available ({machine.memory_note}) "
        f"allows {max(by_memory, 0)} at {budget_mb} MiB each"
    )
    limited_by = "cores" if workers == cpus and by_memory >= cpus else "memory"
    reason = f"automatic, limited by {limited_by}: {machine.cpu_note}; {memory}"
    return WorkerChoice(workers, max(1, cpus // workers), reason)


def resolve_workers(settings: Settings, *, requested_by: str = "RECEIPTFLOW_WORKERS") -> WorkerChoice:
    """:func:`choose_workers` for this machine and ``settings`` (``settings.workers`` 0 = automatic)."""
    return choose_workers(
        this_machine(),
        requested=settings.workers,
        requested_by=requested_by,
        budget_mb=settings.worker_memory_budget_mb,
    )


def this_machine(cgroup_root: Path = CGROUP_ROOT, proc_cgroup: Path = Path("/proc/self/cgroup")) -> Machine:
    """Usable cores and available memory of this process, cgroup limits included."""
    groups = _cgroup_dirs(cgroup_root, proc_cgroup)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    cpus, cpu_note = cores, f"{cores} core{'s' if cores != 1 else ''}"
    quota = cpu_quota(groups)
    if quota is not None and math.ceil(quota) < cores:
        cpus, cpu_note = max(1, math.ceil(quota)), f"cgroup CPU quota {quota:g} of {cores} cores"
    available, memory_note = _psutil_available_mb(), "system"
    headroom = memory_headroom_mb(groups)
    if headroom is not None and (available is None or headroom < available):
        available, memory_note = headroom, "cgroup limit"
    return Machine(cpus=cpus, cpu_note=cpu_note, available_mb=available, memory_note=memory_note)


def _psutil_available_mb() -> float | None:
    try:
        import psutil
    except ImportError:  # the base install without the local extra
        return None
    return float(psutil.virtual_memory().available) / MB


def _cgroup_dirs(root: Path, proc_cgroup: Path) -> dict[str, list[Path]]:
    """For each controller ("" = cgroup v2's unified tree, else "cpu", "memory"), this process's cgroup
    folder and its ancestors (a parent's limit applies too), deepest first."""
    try:
        lines = proc_cgroup.read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    found: dict[str, list[Path]] = {}
    for line in lines:
        _id, controllers, path = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        for controller in controllers.split(",") if controllers else [""]:
            if controller not in ("", "cpu", "memory"):
                continue
            base = root if controller == "" else root / controller
            if controller == "" and not (base / "cgroup.controllers").is_file():
                continue  # a v1 machine's empty unified hierarchy
            parts = [p for p in path.split("/") if p]
            dirs = [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]
            found[controller] = [d for d in dirs if d.is_dir()]
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def cpu_quota(groups: dict[str, list[Path]]) -> float | None:
    """The tightest CPU quota in cores over the process's cgroups (v2 ``cpu.max``, v1 CFS), if any."""
    quotas: list[float] = []
    for folder in groups.get("", []):
        text = _read(folder / "cpu.max")
        if text and not text.startswith("max"):
            quota, period = text.split()[:2]
            quotas.append(int(quota) / int(period))
    for folder in groups.get("cpu", []):
        quota_text, period_text = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
        if quota_text and period_text and int(quota_text) > 0 and int(period_text) > 0:
            quotas.append(int(quota_text) / int(period_text))
    return min(quotas) if quotas else None


def memory_headroom_mb(groups: dict[str, list[Path]]) -> float | None:
    """Memory the tightest cgroup limit still allows (limit - usage + reclaimable page cache), if any."""
    room: list[float] = []
    for folder, limit_file, usage_file, inactive_key in [
        *((f, "memory.max", "memory.current", "inactive_file") for f in groups.get("", [])),
        *(
            (f, "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
            for f in groups.get("memory", [])
        ),
    ]:
        limit, usage = _read(folder / limit_file), _read(folder / usage_file)
        if not limit or not usage or not limit.isdigit() or int(limit) >= _UNLIMITED:
            continue
        inactive = 0
        for line in (_read(folder / "memory.stat") or "").splitlines():
            key, _, value = line.partition(" ")
            if key == inactive_key and value.isdigit():
                inactive = int(value)
        room.append(max(0, int(limit) - int(usage) + inactive) / MB)
    return min(room) if room else None
