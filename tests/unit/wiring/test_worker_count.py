"""The default worker count (issue 16): one per usable core while each fits in the memory available,
cgroup CPU quotas and memory limits included; a count asked for is kept and explained."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from receiptflow.cli.scan import _settings as scan_settings
from receiptflow.settings import Settings
from receiptflow.wiring.capacity import MAIN_PROCESS_MB, Machine, choose_workers, this_machine
from receiptflow.wiring.local import LocalRoot

GIB = 1024


def machine(cpus: int, available_mb: float | None) -> Machine:
    return Machine(cpus=cpus, cpu_note=f"{cpus} cores", available_mb=available_mb, memory_note="system")


@pytest.mark.parametrize(
    ("cpus", "available_mb", "workers", "threads", "limited_by"),
    [
        (2, 16 * GIB, 2, 1, "cores"),  # a 2-core machine with plenty of memory: one per core
        (8, 4 * GIB, 3, 2, "memory"),  # 8 cores, 4 GiB free: 3 workers of 1.25 GiB, 2 threads each
        (4, 3.3 * GIB, 2, 2, "memory"),  # the smallest supported machine (4 GB): two
        (16, 64 * GIB, 16, 1, "cores"),  # no fixed ceiling: memory decides on big machines
        (4, 700, 1, 4, "memory"),  # never fewer than one, which then gets every core
        (1, 32 * GIB, 1, 1, "cores"),
    ],
)
def test_automatic_count_is_the_cores_or_the_memory_whichever_is_less(
    cpus: int, available_mb: float, workers: int, threads: int, limited_by: str
) -> None:
    choice = choose_workers(machine(cpus, available_mb), budget_mb=1280)
    assert (choice.workers, choice.threads) == (workers, threads)
    assert f"limited by {limited_by}" in choice.line and f"{cpus} cores" in choice.line


def test_the_budget_and_the_main_process_share_set_the_memory_bound() -> None:
    available = MAIN_PROCESS_MB + 3 * 500
    assert choose_workers(machine(8, available), budget_mb=500).workers == 3
    assert choose_workers(machine(8, available - 1), budget_mb=500).workers == 2


def test_unknown_memory_falls_back_to_one_per_core() -> None:
    choice = choose_workers(machine(4, None))
    assert (choice.workers, choice.threads) == (4, 1) and "memory unknown" in choice.line


@pytest.mark.parametrize(
    ("requested", "threads", "oversubscribed"), [(1, 4, False), (3, 1, False), (6, 1, True)]
)
def test_a_requested_count_is_kept_and_said_where_it_came_from(
    requested: int, threads: int, oversubscribed: bool
) -> None:
    choice = choose_workers(machine(4, 1.0 * GIB), requested=requested, requested_by="--workers")
    assert (choice.workers, choice.threads) == (requested, threads)
    assert "set by --workers" in choice.line
    assert ("more than the 4 usable cores" in choice.line) is oversubscribed


def test_apply_passes_the_real_counts_and_keeps_explicit_threads(tmp_path: Path) -> None:
    choice = choose_workers(machine(8, 64 * GIB))
    applied = choice.apply(Settings(data_dir=tmp_path, workers=0, ocr_threads=0))
    assert (applied.workers, applied.ocr_threads) == (8, 1)
    assert choice.apply(Settings(data_dir=tmp_path, ocr_threads=3)).ocr_threads == 3


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="ascii")


def test_a_cgroup_v2_quota_and_memory_limit_lower_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an 8-core host, and a container cgroup (v2) allowed 1.5 CPUs and 2 GiB, 1 GiB in use of which
    # 256 MiB is reclaimable page cache; its parent allows 4 CPUs
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    root = tmp_path / "cgroup"
    _tree(
        root,
        {
            "cgroup.controllers": "cpu memory",
            "box/cpu.max": "400000 100000",
            "box/job/cpu.max": "150000 100000",
            "box/job/memory.max": str(2 * 1024**3),
            "box/job/memory.current": str(1024**3),
            "box/job/memory.stat": f"anon 1\ninactive_file {256 * 1024**2}\n",
            "box/memory.max": "max",
        },
    )
    (tmp_path / "self").write_text("0::/box/job\n", encoding="ascii")
    found = this_machine(root, tmp_path / "self")
    # THEN the quota rounds up to 2 usable cores, and 1.25 GiB is free under the limit
    assert found.cpus == 2 and "cgroup CPU quota 1.5 of 8 cores" in found.cpu_note
    assert found.available_mb == pytest.approx(1280) and found.memory_note == "cgroup limit"
    assert choose_workers(found, budget_mb=1280).workers == 1


def test_a_cgroup_v1_quota_and_limit_count_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)))
    root = tmp_path / "cgroup"
    _tree(
        root,
        {
            "cpu/docker/cpu.cfs_quota_us": "100000",
            "cpu/docker/cpu.cfs_period_us": "100000",
            "memory/docker/memory.limit_in_bytes": str(3 * 1024**3),
            "memory/docker/memory.usage_in_bytes": str(1024**3),
            "memory/docker/memory.stat": "total_inactive_file 0\n",
            "memory/memory.limit_in_bytes": "9223372036854771712",
            "memory/memory.usage_in_bytes": "1",
        },
    )
    (tmp_path / "self").write_text("4:memory:/docker\n3:cpu,cpuacct:/docker\n0::/\n", encoding="ascii")
    found = this_machine(root, tmp_path / "self")
    assert found.cpus == 1 and found.available_mb == pytest.approx(2048)


def test_no_cgroup_limits_leave_the_cores_and_the_system_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2})
    found = this_machine(tmp_path / "none", tmp_path / "missing")
    assert found.cpus == 3 and found.cpu_note == "3 cores"
    assert found.memory_note == "system" and (found.available_mb or 0) > 0


def test_the_local_root_and_scan_resolve_the_count_before_the_pool_exists(tmp_path: Path) -> None:
    root = LocalRoot(Settings(data_dir=tmp_path, workers=0, ocr_threads=0))
    assert root.settings.workers >= 1 and root.settings.ocr_threads >= 1
    args = argparse.Namespace(data_dir=tmp_path, workers=3, provider=None)
    settings, choice = scan_settings(args)
    assert settings.workers == 3 and "set by --workers" in choice.line
