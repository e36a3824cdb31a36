"""Throttling is backpressure: a 100-image drop-folder batch through the real ``batch.asl.json`` and the
real handlers under moto, with the template's DEFAULT parameters, against Textract answering as its quota
does (``TextractTps`` calls a second, ``ThrottlingException`` beyond). Every item succeeds, the breaker never
opens, no paid fallback is asked. Step Functions' Retry back-off really waits here (its full jitter is what
spreads the retries), so the test takes about 100 / TextractTps seconds and more."""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from receiptflow.adapters.aws import clients
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore
from receiptflow.models import Batch, BatchItem, BatchStatus, ItemStatus
from receiptflow.ports import BreakerPhase, BreakerState
from receiptflow.settings import Settings

from tests.support.events import lambda_context
from tests.support.iam import parameter_values
from tests.support.jpegs import receipt_jpeg
from tests.support.serverless_stack import Stack, serverless_stack
from tests.support.template import load_template
from tests.support.template_defaults import default_environment, default_map_concurrency
from tests.support.textract import MEGA_MARKET, analyze_expense_output, load_fixture

pytestmark = pytest.mark.e2e

TENANT = "tenant-q"
ITEMS = 100


class TextractAtItsQuota:
    """AnalyzeExpense on the real client, answered where the HTTP exchange would happen: ``tps`` calls a
    second and no burst (a token bucket holding one call, refilled ``tps`` times a second), each answered
    with the recorded response; every call beyond is ``ThrottlingException``, as Textract answers. (No burst
    allowance, so the quota bites even where this machine cannot offer ``tps`` calls a second on average.)"""

    def __init__(self, client: Any, raw: dict[str, Any], tps: int) -> None:
        self.tps = tps
        self.tokens = 1.0
        self.updated = time.monotonic()
        self.output = analyze_expense_output(client, raw)
        self.granted: list[float] = []
        self.throttled = 0
        self._lock = threading.Lock()
        client.meta.events.register("before-call.textract.AnalyzeExpense", self)

    def __call__(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(1.0, self.tokens + (now - self.updated) * self.tps)
            self.updated = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                self.granted.append(now)
                return AWSResponse("", 200, HTTPHeaders(), None), copy.deepcopy(self.output)
            self.throttled += 1
        error = {"Code": "ThrottlingException", "Message": "Rate exceeded"}
        return AWSResponse("", 400, HTTPHeaders(), None), {
            "Error": error,
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }

    def busiest_second(self) -> int:
        """The most calls answered within any one second."""
        return max(
            (sum(1 for t in self.granted if start <= t < start + 1.0) for start in self.granted), default=0
        )


def real_retry_back_off(monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> None:
    """Let Step Functions' Retry really wait (the stack only records it), recording each wait."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    class _Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(retrier_decl, "time", _Clock)


@dataclass
class Outcome:
    """What one batch run showed."""

    stack: Stack
    textract: TextractAtItsQuota
    batch: Batch
    items: list[BatchItem]
    execution: dict[str, Any]
    breaker: BreakerState


def run_batch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_dir: Path, items: int, tps: int
) -> Outcome:
    """A drop folder of ``items`` distinct receipts through the stack as the template's default parameters
    configure it, Textract answering ``tps`` calls a second."""
    environment = default_environment()
    defaults = {
        **environment,
        "RECEIPTFLOW_RETRY_ATTEMPTS": str(Settings.model_fields["retry_attempts"].default),
    }
    with serverless_stack(
        monkeypatch,
        tmp_path,
        provider=environment["RECEIPTFLOW_PROVIDER"],
        max_concurrency=default_map_concurrency(),
        extra_env=defaults,
        concurrent_lambdas=True,
    ) as stack:
        real_retry_back_off(monkeypatch, stack.sleeps)
        textract = TextractAtItsQuota(clients.textract_client(), load_fixture(shared_dir, MEGA_MARKET), tps)
        for n in range(items):
            stack.drop(f"inbox/{TENANT}/quota/r{n:03d}.jpg", receipt_jpeg(1000 + n))
        stack.drop(f"inbox/{TENANT}/quota/_READY", b"")
        from ingest.app import handler as ingest

        outcomes = [ingest(event, lambda_context("IngestFunction")) for event in stack.inbox_events()]
        started = next(o for o in outcomes if o["result"] == "started")
        execution = stack.wait(started["execution"], timeout=900)
        store = DynamoBatchStore(stack.table)
        batch = store.get_batch(TENANT, started["batch_id"])
        items_now = store.list_items(started["batch_id"], limit=items)
        breaker = DynamoBreakerStore(stack.table).load("textract")
        return Outcome(stack, textract, batch, items_now, execution, breaker)


def assert_backpressure_only(outcome: Outcome, items: int) -> None:
    """Every item succeeded, only throttling slowed the batch, and the breaker stayed closed."""
    assert outcome.execution["status"] == "SUCCEEDED", outcome.execution
    counts = outcome.batch.counts
    assert (outcome.batch.status, counts.total, counts.succeeded) == (BatchStatus.SUCCEEDED, items, items)
    assert {item.status for item in outcome.items} == {ItemStatus.SUCCEEDED}
    assert len(outcome.textract.granted) == items and outcome.textract.throttled > 0
    errors = [i.error_type for i in outcome.stack.invocations if i.error_type]
    assert set(errors) <= {"ProviderThrottledError"}, errors  # nothing else, nothing sent to a fallback
    assert len(outcome.stack.sleeps) == len(errors)  # each throttled step waited, then ran again
    assert (outcome.breaker.phase, outcome.breaker.failures) == (
        BreakerPhase.CLOSED,
        0,
    )  # the next batch starts clean


def test_100_items_at_the_default_quota(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_dir: Path
) -> None:
    # GIVEN the template's defaults (Textract alone, no fallback on throttling, the Map concurrency derived
    # from TextractTps) and Textract allowing exactly TextractTps calls a second
    tps = int(parameter_values(load_template())["TextractTps"])
    # WHEN a 100-image folder runs
    outcome = run_batch(monkeypatch, tmp_path, shared_dir, ITEMS, tps)
    # THEN the quota was hit and never exceeded, yet every item succeeded and no breaker opened
    assert outcome.textract.busiest_second() <= tps
    assert_backpressure_only(outcome, ITEMS)


def test_sustained_throttling_is_waited_out_by_step_functions(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared_dir: Path
) -> None:
    # GIVEN a quota far below what the default concurrency offers: one call a second
    items = 20
    outcome = run_batch(monkeypatch, tmp_path, shared_dir, items, tps=1)
    # THEN the scan step's own retries do not absorb it: Step Functions' Retry waits, with full jitter
    # (waits spread out instead of marching in step), and still every item succeeds
    assert len(outcome.stack.sleeps) > 0
    assert len({round(s, 2) for s in outcome.stack.sleeps}) > len(outcome.stack.sleeps) // 2
    assert_backpressure_only(outcome, items)
