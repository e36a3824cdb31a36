"""Peak resident memory of a process tree (a command and its worker processes), sampled with psutil.

Used by `bench/run.py` (peak_rss_mb) and by the proof suites (memory bounds).

``ru_maxrss`` of a child is no help here: Linux carries the forking parent's high-water mark (the test
runner's) into it, and it reports the largest single process, not the tree.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

MB = 1024 * 1024


class PeakTreeRss:
    """Samples the summed RSS of ``pid`` and all its descendants every ``interval_s`` until closed."""

    def __init__(self, pid: int, interval_s: float = 0.02) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_bytes = 0
        self.peak_single_bytes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rss-sampler", daemon=True)

    @property
    def peak_mb(self) -> float:
        """Highest summed RSS seen, in MiB."""
        return self.peak_bytes / MB

    def __enter__(self) -> PeakTreeRss:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            total = 0
            for process in processes:
                try:
                    rss = int(process.memory_info().rss)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                total += rss
                self.peak_single_bytes = max(self.peak_single_bytes, rss)
            self.peak_bytes = max(self.peak_bytes, total)
            self.samples += 1
            self._stop.wait(self.interval_s)
