"""``EventHub``: per-batch fan-out, unsubscribe, bounded history, failing subscribers isolated."""

from __future__ import annotations

import threading

from receiptflow.adapters.embedded.event_hub import EventHub
from receiptflow.models import Event, ProgressEvent


def progress(batch_id: str, seq: int) -> ProgressEvent:
    return ProgressEvent(batch_id=batch_id, seq=seq, done=seq, total=100)


def test_subscribers_get_their_batch_only_until_they_unsubscribe() -> None:
    hub = EventHub()
    got: list[Event] = []
    unsubscribe = hub.subscribe("b1", got.append)
    hub.publish(progress("b1", 1))
    hub.publish(progress("b2", 1))
    unsubscribe()
    hub.publish(progress("b1", 2))
    assert [(e.batch_id, e.seq) for e in got] == [("b1", 1)]


def test_history_is_bounded_and_replays_after_a_seq() -> None:
    hub = EventHub(history_size=3, max_batches=2)
    for seq in range(1, 6):
        hub.publish(progress("b1", seq))
    assert [e.seq for e in hub.history("b1")] == [3, 4, 5]
    assert [e.seq for e in hub.history("b1", after_seq=4)] == [5]
    hub.publish(progress("b2", 1))
    hub.publish(progress("b3", 1))  # b1 is the least recently used batch: dropped
    assert hub.history("b1") == []
    assert [e.seq for e in hub.history("b3")] == [1]


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    hub = EventHub()
    got: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    hub.subscribe("b1", broken)
    hub.subscribe("b1", got.append)
    hub.publish(progress("b1", 1))
    assert len(got) == 1


def test_publishing_from_many_threads_delivers_every_event_once() -> None:
    hub = EventHub(history_size=10_000)
    got: list[Event] = []
    lock = threading.Lock()

    def collect(event: Event) -> None:
        with lock:
            got.append(event)

    def publish_hundred(t: int) -> None:
        for i in range(100):
            hub.publish(progress("b1", t * 100 + i + 1))

    hub.subscribe("b1", collect)
    threads = [threading.Thread(target=publish_hundred, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(e.seq for e in got) == list(range(1, 801))
    assert len(hub.history("b1")) == 800
