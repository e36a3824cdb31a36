"""The reference client's ordering rule (docs/events.md) on shuffled, duplicated and gapped sequences."""

from __future__ import annotations

import random
from typing import Any

import pytest
from receiptflow.client.events import ReorderBuffer, is_final

from tests.support.clock import FakeClock


def event(seq: int, kind: str = "progress") -> dict[str, Any]:
    """A minimal event of one batch."""
    return {"type": kind, "batch_id": "b1", "seq": seq}


def snapshot(seq: int, status: str = "running") -> dict[str, Any]:
    """A snapshot reflecting every event up to ``seq``."""
    return {"type": "snapshot", "batch_id": "b1", "seq": seq, "batch": {"status": status}}


def feed(buffer: ReorderBuffer, messages: list[dict[str, Any]]) -> list[int]:
    """Every seq delivered, in delivery order."""
    return [m["seq"] for message in messages for m in buffer.accept(message)]


@pytest.mark.parametrize("seed", range(25))
def test_shuffled_and_duplicated_events_come_out_once_in_order(seed: int) -> None:
    # GIVEN the snapshot at seq 3 and events 1..40, shuffled, each sent one to three times
    rng = random.Random(seed)
    arrivals = [event(s) for s in range(1, 41) for _ in range(rng.randint(1, 3))]
    rng.shuffle(arrivals)
    buffer = ReorderBuffer(clock=FakeClock(0.0))
    # WHEN they arrive around the snapshot (some before it, as AWS may deliver them)
    cut = rng.randint(0, len(arrivals))
    delivered = feed(buffer, arrivals[:cut] + [snapshot(3)] + arrivals[cut:])
    # THEN the snapshot then 4..40 come out exactly once, in order, and nothing waits
    assert delivered == list(range(3, 41))
    assert not buffer.held and not buffer.needs_resync()


def test_nothing_is_delivered_before_the_snapshot() -> None:
    buffer = ReorderBuffer(clock=FakeClock(0.0))
    assert feed(buffer, [event(5), event(6)]) == []
    assert feed(buffer, [snapshot(4)]) == [4, 5, 6]


def test_events_the_snapshot_reflects_are_dropped() -> None:
    buffer = ReorderBuffer(clock=FakeClock(0.0))
    assert feed(buffer, [snapshot(10), event(9), event(10), event(11)]) == [10, 11]
    assert buffer.dropped == 2


def test_a_brief_gap_is_waited_for() -> None:
    clock = FakeClock(0.0)
    buffer = ReorderBuffer(hold_seconds=2.0, clock=clock)
    assert feed(buffer, [snapshot(11), event(12), event(14)]) == [11, 12]
    clock.advance(1.5)
    assert not buffer.needs_resync() and buffer.seconds_until_resync() == pytest.approx(0.5)
    assert feed(buffer, [event(13)]) == [13, 14]  # …12, 14, 13… as concurrent Lambdas post them
    assert buffer.seconds_until_resync() is None


def test_a_gap_that_outlives_the_hold_time_asks_for_a_resync() -> None:
    clock = FakeClock(0.0)
    buffer = ReorderBuffer(hold_seconds=2.0, clock=clock)
    assert feed(buffer, [snapshot(1), event(2), event(4), event(5)]) == [1, 2]
    clock.advance(2.0)
    assert buffer.needs_resync()  # 3 is lost
    # WHEN the client subscribes again, the fresh snapshot (which reflects 3..5) restarts the sequence
    assert feed(buffer, [snapshot(5), event(6)]) == [5, 6]
    assert not buffer.needs_resync() and not buffer.held


def test_each_new_gap_gets_its_own_hold_time() -> None:
    clock = FakeClock(0.0)
    buffer = ReorderBuffer(hold_seconds=2.0, clock=clock)
    feed(buffer, [snapshot(0), event(2), event(4)])
    clock.advance(1.9)
    assert feed(buffer, [event(1)]) == [1, 2]  # the first gap closed; the one before 4 starts now
    clock.advance(1.9)
    assert not buffer.needs_resync()
    clock.advance(0.1)
    assert buffer.needs_resync()


def test_too_many_held_events_ask_for_a_resync_at_once() -> None:
    buffer = ReorderBuffer(max_held=3, clock=FakeClock(0.0))
    feed(buffer, [snapshot(0), *[event(s) for s in range(2, 6)]])
    assert buffer.needs_resync()


def test_control_messages_pass_through() -> None:
    buffer = ReorderBuffer(clock=FakeClock(0.0))
    assert buffer.accept({"type": "pong"}) == [{"type": "pong"}]


def test_the_last_message_of_a_batch() -> None:
    assert is_final(event(9, "complete"))
    assert is_final(snapshot(9, "partially_failed"))  # subscribed after it finished: no complete follows
    assert not is_final(snapshot(9, "running")) and not is_final(event(9, "result"))


def test_a_repeated_snapshot_is_dropped_unless_asked_for() -> None:
    buffer = ReorderBuffer(clock=FakeClock(0.0))
    assert feed(buffer, [snapshot(3), snapshot(3), event(4)]) == [3, 4]
    buffer.resubscribed()
    assert feed(buffer, [snapshot(4)]) == [4]  # the snapshot a re-subscription asked for
