"""Functional, across processes: a batch through ``receiptflow scan --provider auto`` (the real runner, its
worker processes, the real provider chain textract → openai → local, the real SQLite breaker store) while
the Textract and OpenAI endpoints fail 30 % of calls: throttles, 5xx, timeouts/dropped connections and
malformed answers. Only the two HTTP endpoints are stand-ins (``tests.support.fake_cloud``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from receiptflow.models import ScanResult, ScanStatus

from tests.support.fake_cloud import OPENAI, TEXTRACT, FakeCloud, fake_cloud, seeded_faults
from tests.support.known_receipts import write_receipts
from tests.support.scanning import clean_env, run_scan
from tests.support.textract import MEGA_MARKET, load_fixture

pytestmark = pytest.mark.e2e

DISTINCT = 36
DUPLICATES = 4
FAULT_RATE = 0.3
SEED = 7
CHAIN_ENV = {
    "RECEIPTFLOW_RETRY_ATTEMPTS": "4",
    "RECEIPTFLOW_RETRY_BASE_SECONDS": "0.01",
    "RECEIPTFLOW_RETRY_MAX_WAIT_SECONDS": "0.05",
    "RECEIPTFLOW_PROVIDER_DEADLINE_SECONDS": "2",
    "RECEIPTFLOW_FALLBACK_ON_UNREADABLE": "true",  # a malformed answer moves on to the next provider
    "RECEIPTFLOW_BREAKER_FAILURE_THRESHOLD": "1000",  # this test is about retries; the breaker has its own
}


def scan(folder: Path, data: Path, out: Path, cloud: FakeCloud, extra: dict[str, str]) -> str:
    """Run ``receiptflow scan --provider auto`` against the fake cloud; returns stdout."""
    env = clean_env(**cloud.env(), **CHAIN_ENV, **extra)
    return run_scan(
        folder, "--provider", "auto", "--workers", "2", "--data-dir", data, "--out", out, "--quiet", env=env
    ).stdout


def read_rows(out: Path) -> list[ScanResult]:
    return [ScanResult.model_validate_json(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("first", [TEXTRACT, OPENAI])
def test_thirty_percent_faults_across_a_batch_every_item_finishes_nothing_billed_twice(
    shared_dir: Path, tmp_path: Path, first: str
) -> None:
    # GIVEN 36 distinct receipts and 4 byte-identical copies, and endpoints failing 30 % of calls
    folder = tmp_path / "in"
    names = list(write_receipts(folder, DISTINCT))
    for n in range(DUPLICATES):
        shutil.copy(folder / names[n], folder / f"copy_{n}.jpg")
    expense = load_fixture(shared_dir, MEGA_MARKET)
    with fake_cloud(expense, seeded_faults(FAULT_RATE, SEED), timeout_s=3.0) as cloud:
        # WHEN the folder is scanned with the auto chain on two worker processes
        order = {"RECEIPTFLOW_PROVIDER_ORDER": f"{first},{OPENAI if first == TEXTRACT else TEXTRACT}"}
        stdout = scan(folder, tmp_path / "data", tmp_path / "out.jsonl", cloud, order)
        rows = read_rows(tmp_path / "out.jsonl")

        # THEN every item finished with a receipt: none lost, none failed
        assert len(rows) == DISTINCT + DUPLICATES
        assert all(r.status is ScanStatus.OK and r.receipt is not None for r in rows), [
            (r.source, r.error) for r in rows if r.error
        ]
        assert f"{DISTINCT + DUPLICATES} images: {DISTINCT + DUPLICATES} ok, 0 failed" in stdout
        # AND faults of every kind were injected into the first provider's calls
        injected = {k for k, n in cloud.injected.items() if n}
        assert {f"{first}:{fault}" for fault in ("throttle", "5xx", "timeout", "malformed")} <= injected
        # AND the rows count every call the services saw: retries and fallbacks are accounted for
        scanned = [r for r in rows if not r.cached]
        assert len(scanned) == DISTINCT  # each copy was answered from its original's scan
        local_calls = sum("local" in r.providers_tried for r in scanned)
        assert sum(r.attempts for r in scanned) == cloud.calls[TEXTRACT] + cloud.calls[OPENAI] + local_calls
        retries = sum(r.attempts - len(r.providers_tried) for r in scanned)
        fallbacks = sum(len(r.providers_tried) > 1 for r in scanned)
        assert all(r.providers_tried[0] == first for r in scanned)
        assert retries > 0 and fallbacks > 0
        # AND no provider billed the same content twice
        assert cloud.billed and max(cloud.billed.values()) == 1
        print(  # noqa: T201 - the figures of this run
            f"calls={dict(cloud.calls)} retries={retries} fallbacks={fallbacks} local={local_calls} "
            f"injected={dict(sorted(cloud.injected.items()))}"
        )

        # AND a new batch over copies of the same files is answered from the cache: no call at all
        calls_before = sum(cloud.calls.values())
        shutil.copytree(folder, tmp_path / "again")
        scan(tmp_path / "again", tmp_path / "data", tmp_path / "again.jsonl", cloud, order)
        again = read_rows(tmp_path / "again.jsonl")
        assert len(again) == DISTINCT + DUPLICATES and all(r.ok and r.cached for r in again)
        assert sum(cloud.calls.values()) == calls_before
