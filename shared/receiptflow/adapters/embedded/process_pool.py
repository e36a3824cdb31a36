"""``Dispatcher`` on a local pool of worker processes: one feeding thread per run, one shared pool.

The dispatcher only moves work. For each item of a run it asks the batch service (an ``ItemRecorder``)
whether the item may start (``claim_item``), lets the parent answer what it can without a worker (the
``ItemPreparer``: unreadable files, cache hits), sends the rest to the pool, and reports every result
back (``record_result``); when the run is over it says so (``finish_run``). It keeps at most one item
per worker in flight, so a claimed item is an item a worker is about to scan or scanning: after a
cancel no further item is claimed, and a claimed item that never reached a worker is reported cancelled.

Items whose content repeats an item in flight in the same run are scanned once (the copies wait for it).

Per-item limits (``worker_limits.PoolWatch``): a worker whose item runs past the time limit or whose
memory nears its cap is stopped; that item ends as ``resource_limit`` naming the limit, never retried. When
a pool breaks, the items that were in flight on it as bystanders (their worker was terminated because
another one died) are scanned again on a fresh pool, free; an item whose own worker died for another
reason is resubmitted once, and a second death makes it ``worker_crashed``.

``stop`` is a cancel. ``shutdown`` (``serve`` exiting) is not: items in flight finish and are recorded,
claimed items that never started stay running, and the next start's resume scans them.
"""

from __future__ import annotations

import logging
import signal
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from receiptflow.adapters.embedded.worker_limits import PoolWatch, Verdict, run_watched
from receiptflow.errors import ConflictError, WorkerCrashedError
from receiptflow.models import BatchItem, ScanResult, cancelled_result, error_result
from receiptflow.ports import ItemPreparer, ItemRecorder, PoolTask, Run

logger = logging.getLogger(__name__)

POLL_S = 0.2
MAX_WORKER_CRASHES = 2  # a job whose worker died is resubmitted once; a second death is its own fault


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread for the block. Processes spawned meanwhile inherit the mask, so a Ctrl-C
    cannot interrupt a worker before its initializer ignores it; there it stays pending."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ProcessPoolDispatcher:
    """Runs batches on this machine. Thread-safe: ``serve`` may run several batches at once on the one
    pool. ``initializer(*initargs)`` prepares each worker process (all picklable); ``prepare`` runs in this
    process. Call :meth:`connect` with the recorder before the first run, and :meth:`shutdown` at the end.
    ``memory_limit_mb``, ``item_timeout_s`` and ``resident_budget_mb`` (RSS) are the per-item limits the
    pool's watch enforces (0: none; the memory cap itself is set by the worker initializer)."""

    def __init__(
        self,
        *,
        workers: int,
        initializer: Callable[..., None],
        initargs: tuple[Any, ...],
        prepare: ItemPreparer,
        memory_limit_mb: int = 0,
        item_timeout_s: float = 0.0,
        resident_budget_mb: int = 0,
    ) -> None:
        self.workers = max(1, workers)
        self._initializer = initializer
        self._initargs = initargs
        self.prepare = prepare
        self.watch = PoolWatch(memory_limit_mb, item_timeout_s, resident_budget_mb=resident_budget_mb)
        self._recorder: ItemRecorder | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._pool_id = 0
        self._lock = threading.Lock()
        self._runs: dict[str, _PoolRun] = {}

    def connect(self, recorder: ItemRecorder) -> None:
        """Report claims and results to ``recorder`` (the batch service; wired by the composition root)."""
        self._recorder = recorder

    @property
    def recorder(self) -> ItemRecorder:
        """The connected recorder."""
        if self._recorder is None:
            raise RuntimeError("ProcessPoolDispatcher used before connect()")
        return self._recorder

    @property
    def pool_started(self) -> bool:
        """True once a worker process pool exists (only after the first item that needed a worker)."""
        return self._pool is not None

    # --- Dispatcher --------------------------------------------------------------------------------
    def start(self, run: Run) -> str | None:
        """Work ``run`` in a background thread; ``ConflictError`` while the batch's previous run still has
        items to work (one that is only reporting its end does not count: the batch is final by then)."""
        with self._lock:
            current = self._runs.get(run.batch_id)
            if current is not None and current.thread.is_alive() and not current.worked.is_set():
                raise ConflictError("the batch is already being processed")
            pool_run = _PoolRun(self, run)
            self._runs[run.batch_id] = pool_run
            pool_run.thread.start()
        return None

    def stop(self, batch_id: str, execution_id: str | None) -> None:
        """Cancel: start no more items of the batch (claimed ones that did not start are reported
        cancelled); items in flight finish and are recorded."""
        with self._lock:
            run = self._runs.get(batch_id)
        if run is not None:
            run.halt(cancel=True)

    # --- local control -----------------------------------------------------------------------------
    def is_active(self, batch_id: str) -> bool:
        """True while a run of the batch is being worked."""
        with self._lock:
            run = self._runs.get(batch_id)
        return run is not None and run.thread.is_alive()

    def wait(self, batch_id: str, timeout: float | None = None) -> bool:
        """Wait (at most ``timeout`` s) for the batch's run to end; True when none is active."""
        with self._lock:
            run = self._runs.get(batch_id)
        if run is None:
            return True
        run.thread.join(timeout)
        return not run.thread.is_alive()

    def failure(self, batch_id: str) -> BaseException | None:
        """The error that ended the batch's last run early (e.g. the database stayed unavailable), if any."""
        with self._lock:
            run = self._runs.get(batch_id)
        return run.error if run is not None else None

    def shutdown(self, timeout: float = 60.0) -> None:
        """Stop feeding every run (not a cancel: they stay running, for the next start to resume), let the
        items in flight finish and be recorded, then stop the workers."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            run.halt(cancel=False)
        for run in runs:
            run.thread.join(timeout)
        self.close()

    def close(self) -> None:
        """Shut the worker pool down (waits for running tasks), then its watch."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        self.watch.close()

    def executor(self) -> tuple[ProcessPoolExecutor, int]:
        """The shared pool and its number, started on first use (workers spawn with Ctrl-C blocked:
        ``sigint_blocked``; each is put on the watch's board before the initializer runs)."""
        with self._lock:
            if self._pool is None:
                self._pool_id += 1
                initializer, initargs = self.watch.initializer(
                    self._pool_id, self._initializer, self._initargs
                )
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=self.watch.context,
                    initializer=initializer,
                    initargs=initargs,
                )
            pool, pool_id = self._pool, self._pool_id
        self.watch.start()
        return pool, pool_id

    def submit(self, task: PoolTask) -> _Submitted:
        """Send ``task`` to the pool under the watch (a fresh token names it on the board)."""
        token = uuid.uuid4().hex
        with sigint_blocked():  # workers spawned now start with Ctrl-C blocked, until they ignore it
            pool, pool_id = self.executor()
            future = pool.submit(run_watched, token, task.fn, *task.args)
        return _Submitted(future=future, pool=pool, pool_id=pool_id, token=token)

    def after_break(self, submitted: _Submitted) -> Verdict:
        """A submitted task's future failed with ``BrokenProcessPool``: drop the pool (a fresh one serves
        the next task) and say what happened to the task (``PoolWatch.judge``)."""
        self.discard_pool(submitted.pool)
        return self.watch.judge(submitted.token, submitted.pool_id)

    def call(self, task: PoolTask) -> Any:
        """Run one task on the pool now and return its result, under the same limits as a batch's items
        (``POST /v1/scan``): a limit breach raises its ``ResourceLimitError``, two deaths of its own worker
        ``WorkerCrashedError``; as a bystander of another task's breach it runs again. The task's own
        exceptions propagate."""
        crashes = 0
        while True:
            submitted = self.submit(task)
            try:
                return submitted.future.result()
            except BrokenProcessPool:
                verdict = self.after_break(submitted)
            if verdict.error is not None:
                raise verdict.error
            if verdict.crashed:
                crashes += 1
                if crashes >= MAX_WORKER_CRASHES:
                    raise WorkerCrashedError(
                        f"the worker scanning this image died {crashes} times ({verdict.detail})"
                    )

    def discard_pool(self, broken: ProcessPoolExecutor) -> None:
        """Drop ``broken`` without waiting for it, if it is still the current pool; the next task starts a
        fresh one (so several futures of one dead pool discard it only once).

        Not waiting lets the batch finish and be recorded even in the rare case (a worker killed inside the
        pool's own queue code) where CPython 3.11's pool manager thread never ends (cpython issues 83386,
        132969); the process may then need a second Ctrl-C to exit."""
        with self._lock:
            if self._pool is not broken:
                return
            self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class _Submitted:
    """A task on the pool: its future, the pool (and its number) it went to, its token on the board."""

    future: Future[Any]
    pool: ProcessPoolExecutor
    pool_id: int
    token: str


@dataclass
class _Job:
    item: BatchItem
    task: PoolTask
    followers: list[BatchItem] = field(default_factory=list)
    submitted: _Submitted | None = None
    crashes: int = 0  # times its own worker died while scanning it


class _PoolRun:
    """One run: a feeding thread, the jobs in flight, and the results kept for duplicates."""

    def __init__(self, dispatcher: ProcessPoolDispatcher, run: Run) -> None:
        self.dispatcher = dispatcher
        self.recorder = dispatcher.recorder
        self.run = run
        self.halted = threading.Event()
        self.worked = threading.Event()  # every item of the run is recorded (or left for a resume)
        self.cancelled = False
        self.error: BaseException | None = None
        self.inflight: dict[Future[str], _Job] = {}
        self.by_key: dict[str, _Job] = {}
        self.finished_by_key: dict[str, ScanResult] = {}
        self.thread = threading.Thread(target=self._main, name=f"batch-{run.batch_id[:8]}", daemon=True)

    def halt(self, *, cancel: bool) -> None:
        """Start nothing more; ``cancel`` also reports claimed items that did not start as cancelled."""
        self.cancelled = self.cancelled or cancel
        self.halted.set()

    def _main(self) -> None:
        try:
            self._execute()
        except BaseException as e:  # the batch stays as stored; a resume (or the same scan command) goes on
            self.error = e
            logger.exception("batch run failed", extra={"batch_id": self.run.batch_id})

    def _execute(self) -> None:
        run = self.run
        for item_id in run.item_ids:
            while len(self.inflight) >= self.dispatcher.workers and not self.halted.is_set():
                self._collect(POLL_S)
            if self.halted.is_set():
                break
            item = self.recorder.claim_item(run.tenant_id, run.batch_id, item_id)
            if item is None:
                continue
            if self.halted.is_set():
                self._abandon(item)
                break
            self._dispatch(item)
            if self.inflight:
                self._collect(0)
        if self.halted.is_set():
            for fut, job in list(self.inflight.items()):
                if fut.cancel():  # claimed, never reached a worker
                    self._abandon(job.item, *job.followers)
        while self.inflight:
            self._collect(POLL_S)
        self.worked.set()
        if not self.halted.is_set() or self.cancelled:
            self.recorder.finish_run(run.tenant_id, run.batch_id)

    def _dispatch(self, item: BatchItem) -> None:
        prepared = self.dispatcher.prepare(item, self.run.provider, self.run.use_cache)
        if isinstance(prepared, ScanResult):
            self._record(item, prepared)
            return
        earlier = self.finished_by_key.get(prepared.key)
        if earlier is not None:
            self._record(item, earlier.duplicate_for(item.source))
            return
        job = self.by_key.get(prepared.key)
        if job is not None:
            job.followers.append(item)
            return
        self._submit(_Job(item=item, task=prepared))

    def _submit(self, job: _Job) -> None:
        job.submitted = self.dispatcher.submit(job.task)
        self.inflight[job.submitted.future] = job
        self.by_key[job.task.key] = job

    def _collect(self, timeout: float) -> None:
        done, _ = wait(list(self.inflight), timeout=timeout, return_when=FIRST_COMPLETED)
        for fut in done:
            job = self.inflight.pop(fut)
            self.by_key.pop(job.task.key, None)
            if fut.cancelled():
                continue
            try:
                result = ScanResult.model_validate_json(fut.result())
            except BrokenProcessPool:  # a worker died or was stopped at a limit: a fresh pool next
                assert job.submitted is not None
                verdict = self.dispatcher.after_break(job.submitted)
                if verdict.error is not None:
                    result = error_result(verdict.error, job.item.source, job.task.key)
                elif self.halted.is_set():
                    self._abandon(job.item, *job.followers)  # stopping anyway: not a failure of the item
                    continue
                else:
                    job.crashes += int(verdict.crashed)
                    if verdict.crashed:
                        logger.error("worker died", extra={"source": job.item.source, "how": verdict.detail})
                    if job.crashes < MAX_WORKER_CRASHES:
                        self._submit(job)  # a bystander, or a first death: scan it again
                        continue
                    crashed = WorkerCrashedError(
                        f"the worker scanning this image died {job.crashes} times ({verdict.detail})"
                    )
                    result = error_result(crashed, job.item.source, job.task.key)
            except Exception as e:  # the task itself failed in a way the worker did not catch
                result = error_result(e, job.item.source, job.task.key)
            if not self.run.use_cache or not result.ok:
                # kept for later duplicates in this run (ok results only without a cache, which answers them)
                self.finished_by_key[job.task.key] = result
            self._record(job.item, result)
            for follower in job.followers:
                self._record(follower, result.duplicate_for(follower.source))

    def _abandon(self, *items: BatchItem) -> None:
        """Claimed items that will not be scanned by this run: cancelled after a cancel; left running after
        a shutdown (the next resume scans them)."""
        if self.cancelled:
            for item in items:
                self._record(item, cancelled_result(item.source))

    def _record(self, item: BatchItem, result: ScanResult) -> None:
        self.recorder.record_result(self.run.tenant_id, self.run.batch_id, item.item_id, result)
