"""The AWS cost bench counts what the real stack does: a 3-image batch (and its warm re-run) through the
real API, handlers and ``batch.asl.json`` under moto, checked against the ASL and the template; and the
DynamoDB sizing rules it prices request units with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import aws_prices
from bench.aws_cost import (
    RESOURCES,
    item_bytes,
    lambda_memory_mb,
    markdown,
    measure,
    metered_stack,
    read_units,
    receipt_files,
    update_results,
    write_units,
)
from tests.support.serverless_stack import DEFINITION_PATH

ITEMS = 3


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return measure(items=ITEMS, subscribers=1)


def test_item_size_follows_dynamodb_rules() -> None:
    assert item_bytes({"pk": {"S": "abc"}}) == 2 + 3
    assert item_bytes({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_bytes({"ok": {"BOOL": True}, "gone": {"NULL": True}}) == 2 + 1 + 4 + 1
    assert item_bytes({"m": {"M": {"a": {"S": "xy"}}}}) == 1 + 3 + 1 + 1 + 2
    assert item_bytes(None) == 0


def test_request_units_round_up_per_step() -> None:
    small, big = {"pk": {"S": "a"}}, {"pk": {"S": "a" * 1500}}
    assert write_units(None, small, []) == 1
    assert write_units(small, big, []) == 2  # the larger of before and after, 1 KB steps
    assert write_units(None, {"pk": {"S": "a"}, "g": {"S": "x"}}, [["g"]]) == 2  # enters one index
    assert write_units({"pk": {"S": "a"}, "g": {"S": "x"}}, {"pk": {"S": "a"}, "g": {"S": "y"}}, [["g"]]) == 3
    assert read_units(0, True) == 1
    assert read_units(4097, True) == 2
    assert read_units(4097, False) == 1  # eventually consistent: half


def test_transitions_and_invocations_match_the_asl(figures: dict[str, Any]) -> None:
    asl = json.loads(DEFINITION_PATH.read_text(encoding="utf-8").replace("${MaxConcurrency}", "1"))
    top = asl["States"]
    children = top["Scan Items"]["ItemProcessor"]
    assert children["States"][children["StartAt"]]["End"] is True  # a scanned item ends its child
    for label in ("cold", "warm"):
        counts = figures[label]["counts"]
        # each top-level state once; per item one child execution started + its one state
        assert counts["transitions"] == len(top) + ITEMS * 2, label
        assert counts["lambda_calls"]["ScanImageFunction"] == ITEMS
        assert counts["lambda_calls"]["FinalizeBatchFunction"] == 1
        assert counts["lambda_calls"]["ApiFunction"] == 2  # create, start
        assert counts["lambda_calls"]["RealtimeFunction"] == 3  # connect, subscribe, disconnect
        assert "RecordFailureFunction" not in counts["lambda_calls"]
        assert counts["s3_requests"]["POST"] == ITEMS  # one presigned upload per file
        assert counts["s3_requests"]["GET"] >= ITEMS  # each scan reads its image
        assert counts["ws_posts"] >= ITEMS  # a result event per item reaches the subscriber
        assert counts["dynamodb_wru"] >= counts["dynamodb_requests"].get("PutItem", 0) > 0
        assert counts["dynamodb_rru"] > 0
        assert figures[label]["outcome"]["counts"]["succeeded"] == ITEMS
    assert figures["cold"]["counts"]["textract_pages"] == ITEMS
    assert figures["warm"]["counts"]["textract_pages"] == 0
    assert figures["warm"]["outcome"]["counts"]["cached"] == ITEMS


def test_a_failed_item_adds_its_record_failure_step() -> None:
    asl = json.loads(DEFINITION_PATH.read_text(encoding="utf-8").replace("${MaxConcurrency}", "1"))
    children = asl["States"]["Scan Items"]["ItemProcessor"]["States"]
    assert children["Record Failure"]["End"] is True  # a failed item: Scan Image, then Record Failure
    files = {**receipt_files(2, tag="failure test"), "broken.jpg": b"\xff\xd8\xff\xe0" + b"\x00" * 400}
    with metered_stack(subscribers=0) as run:
        meter, outcome = run.batch("mixed", files)
    assert outcome["counts"]["failed"] == 1 and outcome["counts"]["succeeded"] == 2
    assert meter.lambda_calls["RecordFailureFunction"] == 1
    assert meter.lambda_calls["ScanImageFunction"] == 3
    assert meter.transitions == len(asl["States"]) + 3 * 2 + 1
    assert meter.textract_pages == 2
    assert meter.ws_posts == 0  # nobody subscribed


def test_prices_and_shares(figures: dict[str, Any]) -> None:
    cold, warm = figures["cold"]["usd_per_1000"], figures["warm"]["usd_per_1000"]
    assert cold["textract"] == pytest.approx(1000 * aws_prices.TEXTRACT_EXPENSE_PAGE.usd)
    assert warm["textract"] == 0
    for usd in (cold, warm):
        parts = [usd[k] for k in RESOURCES if k not in ("infrastructure", "total", "textract")]
        assert all(p > 0 for p in parts)
        assert usd["infrastructure"] == pytest.approx(sum(parts))
    assert figures["aws_infra_cost_share"] == pytest.approx(cold["infrastructure"] / cold["textract"])
    assert 0 < figures["aws_warm_cost_share"] < 1
    assert figures["lambda_memory_mb"] == lambda_memory_mb()
    assert figures["lambda_memory_mb"]["ScanImageFunction"] > 0
    assert any("| total |" in line for line in markdown(figures))


def test_results_keys_are_merged(figures: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"p1_overhead": 1.0, "details": {"images": 20}}))
    update_results(path, figures)
    merged = json.loads(path.read_text())
    assert merged["p1_overhead"] == 1.0 and merged["details"]["images"] == 20
    assert merged["aws_infra_cost_share"] == figures["aws_infra_cost_share"]
    assert merged["aws_warm_cost_share"] == figures["aws_warm_cost_share"]
