"""Functional, across processes: the circuit breaker shared by the worker processes of real scans through
the real SQLite breaker store. Textract is down (every call answers 500; only its HTTP endpoint is a
stand-in), OpenAI is the fallback.

- the circuit opens after N failures (at most N + workers - 1 calls: those already in flight), and the
  rest of the batch fails fast to the fallback without calling Textract;
- after the cool-down, with many workers arriving together, exactly one probe reaches Textract;
- once Textract is back the probe closes the circuit and Textract takes the work again.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from receiptflow.adapters.embedded.breaker_store import SqliteBreakerStore
from receiptflow.models import ScanResult
from receiptflow.ports import BreakerPhase

from tests.support.fake_cloud import OPENAI, TEXTRACT, FakeCloud, fake_cloud, per_service
from tests.support.scanning import clean_env, run_scan, write_variants
from tests.support.textract import MEGA_MARKET, load_fixture

pytestmark = pytest.mark.e2e

THRESHOLD = 3
WORKERS = 4
ITEMS = 12
COOLDOWN_S = 600.0


def cool_down_passes(store: SqliteBreakerStore) -> None:
    """Move the stored opening back past the cool-down (time passing, without the wait)."""
    state = store.load(TEXTRACT)
    assert state.phase is BreakerPhase.OPEN
    earlier = replace(state, opened_at=time.time() - COOLDOWN_S - 1)
    assert store.compare_and_set(TEXTRACT, state.version, earlier)


def scan_batch(cloud: FakeCloud, tmp_path: Path, variant: int) -> list[ScanResult]:
    """Scan ``ITEMS`` fresh images with textract → openai on ``WORKERS`` processes; the rows."""
    folder = tmp_path / f"batch{variant}"
    write_variants(folder, ITEMS, variant)
    out = tmp_path / f"batch{variant}.jsonl"
    env = clean_env(
        **cloud.env(),
        RECEIPTFLOW_PROVIDER_ORDER="textract,openai",
        RECEIPTFLOW_RETRY_ATTEMPTS="1",
        RECEIPTFLOW_BREAKER_FAILURE_THRESHOLD=str(THRESHOLD),
        RECEIPTFLOW_BREAKER_COOLDOWN_SECONDS=str(COOLDOWN_S),
    )
    args: list[str | Path] = [
        "--provider",
        "auto",
        "--workers",
        str(WORKERS),
        "--data-dir",
        tmp_path / "data",
    ]
    args += ["--out", out]
    run_scan(folder, *args, "--quiet", env=env)
    rows = [ScanResult.model_validate_json(line) for line in out.read_text().splitlines()]
    assert len(rows) == ITEMS and all(r.ok for r in rows), [r.error for r in rows if r.error]
    return rows


def test_breaker_opens_after_n_fails_fast_and_probes_once_across_worker_processes(
    shared_dir: Path, tmp_path: Path
) -> None:
    expense = load_fixture(shared_dir, MEGA_MARKET)
    store = SqliteBreakerStore(tmp_path / "data" / "receiptflow.db")
    with fake_cloud(expense, per_service(textract="5xx")) as cloud:
        cloud.delay_s = 0.2  # calls overlap, as they would against a slow failing service

        # GIVEN Textract is down; WHEN a batch runs on four worker processes
        first = scan_batch(cloud, tmp_path, variant=1)
        # THEN the circuit opened after N failures; only calls already in flight went past N
        assert store.load(TEXTRACT).phase is BreakerPhase.OPEN
        assert THRESHOLD <= cloud.calls[TEXTRACT] <= THRESHOLD + WORKERS - 1
        # AND every item finished through the fallback; the rest failed fast (no Textract call at all)
        assert all(r.provider == OPENAI and r.providers_tried == [TEXTRACT, OPENAI] for r in first)
        fast = [r for r in first if r.attempts == 1]
        assert len(fast) >= ITEMS - (THRESHOLD + WORKERS - 1)
        assert sum(r.attempts for r in first) == cloud.calls[TEXTRACT] + cloud.calls[OPENAI]

        # WHEN the cool-down has passed and the next batch's workers arrive while Textract is still down
        cool_down_passes(store)
        before = cloud.calls[TEXTRACT]
        second = scan_batch(cloud, tmp_path, variant=2)
        # THEN exactly one probe reached Textract; it failed and the circuit is open again
        assert cloud.calls[TEXTRACT] - before == 1
        assert store.load(TEXTRACT).phase is BreakerPhase.OPEN
        assert all(r.provider == OPENAI for r in second)

        # WHEN Textract is back and the cool-down has passed again
        cloud.decide = per_service()
        cool_down_passes(store)
        before = cloud.calls[TEXTRACT]
        third = scan_batch(cloud, tmp_path, variant=3)
        # THEN the probe closed the circuit and Textract read the rest again
        assert store.load(TEXTRACT).phase is BreakerPhase.CLOSED
        by_textract = [r for r in third if r.provider == TEXTRACT]
        assert len(by_textract) == cloud.calls[TEXTRACT] - before >= ITEMS - WORKERS
