"""The drop folder without a marker, with the real ingest handler under moto: S3 → EventBridge (the
template's rule) → ingest → the timer queue (a real SQS queue, ``DelaySeconds`` set by the code) → ingest
again, SQS's clock moved by the test instead of waited for. Every scenario ends with the same invariant:
every file of the folder is in exactly one batch.

The state machine does not run here (``execute=False``): these tests are about which files become which
batch; tests/e2e/serverless runs a quiet-closed folder through the real workflow."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.adapters.aws.dynamo_folder_ledger import DynamoFolderLedger
from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
from receiptflow.batches.ingest import NEVER_QUIET, quiet_batch_id
from receiptflow.ports import FolderTick, StoredObject
from receiptflow.wiring.aws import drop_folders

from tests.support.serverless_stack import Stack, serverless_stack, template_default
from tests.support.template import TEMPLATE_PATH, load_template

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics")

TENANT = "tenant-q"
QUIET = int(template_default("QuietSeconds"))


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The stack with the template's default quiet period; the workflow is started but not run."""
    with serverless_stack(monkeypatch, tmp_path, execute=False) as stack:
        yield stack


def drop(stack: Stack, folder: str, *names: str, data: bytes = b"receipt") -> list[dict[str, Any]]:
    """Upload files to the folder and ingest their events; the handler's answers."""
    for name in names:
        stack.drop(f"inbox/{TENANT}/{folder}/{name}", data + name.encode())
    return stack.ingest_inbox()


def batches_of(stack: Stack, folder: str) -> dict[str, list[str]]:
    """Every batch made of the folder: batch id → its items' sources."""
    store = DynamoBatchStore(stack.table)
    return {
        b.batch_id: [i.source for i in store.list_items(b.batch_id)]
        for b in store.list_batches(TENANT, limit=1000)
        if b.name == folder
    }


def assert_each_file_in_one_batch(stack: Stack, folder: str, files: set[str]) -> None:
    """The invariant: every file of the folder in exactly one batch."""
    counted = Counter(source for sources in batches_of(stack, folder).values() for source in sources)
    assert set(counted) == files and all(n == 1 for n in counted.values()), counted


def results(outcomes: list[dict[str, Any]]) -> list[str]:
    return [o["result"] for o in outcomes]


def test_a_folder_without_marker_closes_quiet_seconds_after_its_last_object(stack: Stack) -> None:
    # GIVEN two files dropped into a folder, no marker
    answers = drop(stack, "trip", "a.jpg", "b.jpg")

    # THEN each object set a timer of the template's default quiet period, and nothing started yet
    assert results(answers) == ["waiting", "waiting"]
    assert [delay for _, delay in stack.pending_timers()] == [QUIET, QUIET]
    assert stack.executions() == []

    # WHEN almost the whole quiet period passes, nothing is due
    assert stack.quiet_period_passes(QUIET - 1) == []
    assert batches_of(stack, "trip") == {}

    # WHEN it has passed: the first timer was superseded by the second object's, which closes the folder
    outcomes = stack.quiet_period_passes(1)
    assert results(outcomes) == ["superseded", "started"]
    assert list(batches_of(stack, "trip").values()) == [["a.jpg", "b.jpg"]]
    assert len(stack.executions()) == 1 and stack.pending_timers() == []


def test_each_new_object_restarts_the_quiet_period(stack: Stack) -> None:
    drop(stack, "trip", "a.jpg")
    stack.advance(QUIET - 20)
    drop(stack, "trip", "b.jpg")  # 20 s before a's timer fires

    # a's timer fires: b arrived since, so the folder stays open
    assert results(stack.quiet_period_passes(20)) == ["superseded"]
    assert batches_of(stack, "trip") == {}

    # b's timer fires a full quiet period after b
    assert results(stack.quiet_period_passes(QUIET - 20)) == ["started"]
    assert list(batches_of(stack, "trip").values()) == [["a.jpg", "b.jpg"]]


def test_a_folder_that_never_goes_quiet_closes_anyway_and_says_so(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the rule with a 300 s bound on a folder's activity, on SQS's clock (the test moves it)
    def clock() -> float:
        return stack.sqs_clock() / 1000.0

    bounded = replace(
        drop_folders(),
        ledger=DynamoFolderLedger(stack.table, clock=clock),
        clock=clock,
        max_open_seconds=300,
    )
    monkeypatch.setattr("ingest.app.drop_folders", lambda: bounded)

    # WHEN a file arrives every 50 s (never QUIET seconds apart), eight times
    drop(stack, "feed", "r0.jpg")
    outcomes: list[dict[str, Any]] = []
    for n in range(1, 8):
        stack.advance(50)
        outcomes += stack.deliver_timers()
        drop(stack, "feed", f"r{n}.jpg")

    # THEN the first timer due after the bound closed the folder anyway, saying why, with the files so far
    forced = [o for o in outcomes if o["result"] == "started"]
    assert len(forced) == 1 and forced[0]["reason"].startswith(NEVER_QUIET), outcomes
    assert sorted(batches_of(stack, "feed")[forced[0]["batch_id"]]) == [f"r{n}.jpg" for n in range(6)]
    # AND once the files stop, the rest closes after the quiet period as usual
    assert "started" in results(stack.quiet_period_passes())
    assert_each_file_in_one_batch(stack, "feed", {f"r{n}.jpg" for n in range(8)})
    assert len(batches_of(stack, "feed")) == 2


def test_late_files_make_a_new_batch_of_just_those_files(stack: Stack) -> None:
    drop(stack, "trip", "a.jpg", "b.jpg")
    stack.quiet_period_passes()
    first = set(batches_of(stack, "trip"))

    # WHEN two more files arrive after the close
    drop(stack, "trip", "c.jpg", "sub/d.png")
    outcomes = stack.quiet_period_passes()

    # THEN they make a second batch of just them
    assert results(outcomes) == ["superseded", "started"]
    late = {k: v for k, v in batches_of(stack, "trip").items() if k not in first}
    assert list(late.values()) == [["c.jpg", "sub/d.png"]]
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "b.jpg", "c.jpg", "sub/d.png"})


def test_the_marker_still_closes_at_once_and_the_timers_find_nothing_left(stack: Stack) -> None:
    # GIVEN files, then _READY: the marker's event starts the batch at once
    answers = drop(stack, "trip", "a.jpg", "b.jpg", "_READY")
    assert results(answers) == ["waiting", "waiting", "started"]
    assert list(batches_of(stack, "trip").values()) == [["a.jpg", "b.jpg"]]

    # WHEN the files' timers fire, they find every file taken: no second batch
    assert results(stack.quiet_period_passes()) == ["superseded", "empty"]
    assert len(batches_of(stack, "trip")) == 1 and len(stack.executions()) == 1

    # AND a file dropped later still gets its own batch, without a new marker
    drop(stack, "trip", "late.jpg")
    assert results(stack.quiet_period_passes()) == ["started"]
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "b.jpg", "late.jpg"})


def test_redelivered_events_and_a_timer_that_fires_twice_make_one_batch(stack: Stack) -> None:
    # GIVEN a file whose event EventBridge delivers twice
    stack.drop(f"inbox/{TENANT}/trip/a.jpg", b"a")
    events = stack.inbox_events()
    assert results(stack.ingest(events + events)) == ["waiting", "waiting"]

    # WHEN the quiet period passes, and SQS delivers the closing timer a second time
    outcomes = stack.quiet_period_passes()
    assert results(outcomes) == ["superseded", "started"]
    latest = DynamoFolderLedger(stack.table).latest(TENANT, "trip")
    assert latest is not None
    again = drop_folders().on_tick(FolderTick(TENANT, "trip", latest))

    # THEN one batch, one execution; the repeat finds it started
    assert again.result.value == "already_started" and again.batch_id == outcomes[1]["batch_id"]
    assert len(batches_of(stack, "trip")) == 1 and len(stack.executions()) == 1


def test_objects_arriving_while_a_close_runs_each_land_in_exactly_one_batch(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a folder whose quiet close is running: while it lists the folder, two objects arrive, one
    # just before the listing (it is in S3, its event not yet ingested) and one just after
    drop(stack, "trip", "a.jpg")
    stack.advance(QUIET)
    original = S3BlobStore.list_objects

    def racing(self: S3BlobStore, prefix: str) -> list[StoredObject]:
        monkeypatch.setattr(S3BlobStore, "list_objects", original)  # once
        stack.drop(f"inbox/{TENANT}/trip/before.jpg", b"before")
        listed = original(self, prefix)
        stack.drop(f"inbox/{TENANT}/trip/after.jpg", b"after")
        return listed

    monkeypatch.setattr(S3BlobStore, "list_objects", racing)
    assert results(stack.deliver_timers()) == ["started"]
    assert list(batches_of(stack, "trip").values()) == [["a.jpg", "before.jpg"]]

    # WHEN their events arrive and the quiet period passes
    assert results(stack.ingest_inbox()) == ["waiting", "waiting"]
    assert results(stack.quiet_period_passes()) == ["superseded", "started"]

    # THEN the one listed late is in a second batch, and the other in none twice
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "before.jpg", "after.jpg"})


def test_a_close_racing_itself_and_a_marker_racing_a_timer_split_nothing_twice(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a folder's quiet close that, after listing the folder and before claiming, is overtaken: a.jpg is
    # overwritten with new bytes, then (1) the same timer delivered again runs the same close to the end
    # (a second Lambda) and (2) a _READY marker's close runs
    drop(stack, "trip", "a.jpg", "b.jpg")
    stack.drop(f"inbox/{TENANT}/trip/_READY", b"")
    marker_event = next(e for e in stack.inbox_events() if e["detail"]["object"]["key"].endswith("_READY"))
    token = DynamoFolderLedger(stack.table).latest(TENANT, "trip")
    assert token is not None
    tick = FolderTick(TENANT, "trip", token)
    original = DynamoFolderLedger.claim
    overtaken: list[str] = []

    def overtaking(self: DynamoFolderLedger, *args: Any) -> bool:
        if not overtaken:  # the overtaking runs claim too: they go straight through
            overtaken.append("running")
            stack.drop(f"inbox/{TENANT}/trip/a.jpg", b"retaken photo")
            overtaken[0] = drop_folders().on_tick(tick).result.value
            overtaken.append(results(stack.ingest([marker_event]))[0])
        return original(self, *args)

    monkeypatch.setattr(DynamoFolderLedger, "claim", overtaking)
    first = drop_folders().on_tick(tick)

    # THEN the run that overtook made the batch (with a.jpg as overwritten); the marker found nothing left,
    # and the overtaken run, whose claims came too late, changed nothing
    assert overtaken == ["started", "empty"], overtaken
    assert first.result.value == "already_started" and first.batch_id == quiet_batch_id(tick)
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "b.jpg"})
    # AND the overwrite's own timer finds that version taken (the stale run did not re-claim the old one)
    assert results(stack.ingest_inbox()) == ["waiting"]
    assert results(stack.quiet_period_passes()) == ["superseded", "already_started", "empty"]
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "b.jpg"})
    assert len(stack.executions()) == 1


def test_a_close_that_failed_half_way_is_finished_by_the_retry_even_after_new_files(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a quiet close that fails after claiming (before its claims are frozen)
    drop(stack, "trip", "a.jpg")
    stack.advance(QUIET)
    original = DynamoFolderLedger.freeze
    failures: list[int] = []

    def failing_once(self: DynamoFolderLedger, *args: Any) -> None:
        if not failures:
            failures.append(1)
            raise RuntimeError("the Lambda died here")
        original(self, *args)

    monkeypatch.setattr(DynamoFolderLedger, "freeze", failing_once)
    assert stack.deliver_timers() == []  # reported as a batch item failure: the message stays
    assert batches_of(stack, "trip") == {}

    # WHEN a new file arrives (its timer supersedes the failed one) and SQS redelivers the failed tick
    drop(stack, "trip", "b.jpg")
    stack.advance(template_timeout())  # the visibility timeout: the failed message is visible again
    outcomes = stack.deliver_timers()

    # THEN the redelivered tick finishes the close it had opened (b was in S3 by then, so it joins),
    # and b's own timer finds nothing left
    assert results(outcomes) == ["started", "empty"]
    assert_each_file_in_one_batch(stack, "trip", {"a.jpg", "b.jpg"})


def test_a_file_overwritten_with_new_bytes_after_a_close_is_batched_again(stack: Stack) -> None:
    drop(stack, "trip", "a.jpg", data=b"first photo ")
    stack.quiet_period_passes()
    # the same bytes again: the same file, nothing new
    drop(stack, "trip", "a.jpg", data=b"first photo ")
    assert results(stack.quiet_period_passes()) == ["empty"]
    # other bytes under the same name: a new version, a new batch
    drop(stack, "trip", "a.jpg", data=b"retaken photo ")
    assert results(stack.quiet_period_passes()) == ["started"]
    assert sorted(batches_of(stack, "trip").values()) == [["a.jpg"], ["a.jpg"]]


@pytest.fixture
def marker_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The stack deployed with QuietSeconds=0."""
    extra = {"RECEIPTFLOW_INBOX_QUIET_SECONDS": "0"}
    with serverless_stack(monkeypatch, tmp_path, execute=False, extra_env=extra) as stack:
        yield stack


def test_quiet_seconds_zero_leaves_only_the_marker(marker_only: Stack) -> None:
    assert results(drop(marker_only, "trip", "a.jpg")) == ["ignored"]
    assert marker_only.pending_timers() == []
    assert results(drop(marker_only, "trip", "_READY")) == ["started"]


def template_timeout() -> float:
    """The timer queue's visibility timeout (template.yaml)."""
    props = load_template(TEMPLATE_PATH)["Resources"]["InboxTimerQueue"]["Properties"]
    return float(props["VisibilityTimeout"])


def test_a_timer_that_keeps_failing_ends_in_the_alarmed_dead_letter_queue() -> None:
    # the template: the timer queue redrives to the ingest dead-letter queue, whose alarm fires on one
    # message, and the event source mapping reports failures per message (so one bad tick is retried alone)
    resources = load_template(TEMPLATE_PATH)["Resources"]
    redrive = resources["InboxTimerQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]}
    alarm = resources["IngestDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}
    assert alarm["Threshold"] == 0 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
    mapping = resources["InboxTimerEvents"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["InboxTimerQueue", "Arn"]}
    assert json.dumps(mapping["FunctionName"]) == json.dumps({"Ref": "IngestFunction"})
