"""The overflow policy over a real socket: a subscriber that stops reading is dropped with close code
4008 while the publisher never blocks, and a fresh subscribe re-syncs it with a snapshot."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from receiptflow.api.realtime import OVERFLOW_CLOSE_CODE
from receiptflow.models import ProgressEvent
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.live_server import ALPHA, LiveServer, live_server, server_settings

pytestmark = pytest.mark.e2e

BURST = 50_000  # ~10 MB of events: more than the socket buffers hold for a client that does not read


@pytest.fixture(scope="module")
def tiny_queues(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose subscribers may buffer only 4 events."""
    with live_server(server_settings(tmp_path_factory.mktemp("overflow"), event_queue_size=4)) as live:
        yield live


def test_slow_subscriber_is_dropped_with_4008_and_resyncs(tiny_queues: LiveServer) -> None:
    hub = tiny_queues.services.events
    assert hub is not None
    with tiny_queues.client(ALPHA) as client:
        batch_id = client.post("/v1/batches", json={}).json()["batch"]["batch_id"]
    # GIVEN a subscriber whose client stops reading (websockets stops reading after max_queue messages)
    with connect(f"{tiny_queues.ws_url}/v1/ws", additional_headers=ALPHA, max_queue=1, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        # WHEN a burst of events is published, numbered by the store as the runner numbers them: the
        # publisher is never held up by the slow client
        store = tiny_queues.services.store
        start = time.perf_counter()
        for _ in range(BURST):
            seq = store.next_seq(batch_id)
            hub.publish(ProgressEvent(batch_id=batch_id, seq=seq, done=seq % 7, total=7, rate=1.5))
        assert time.perf_counter() - start < 30
        # THEN the client gets some events, then the connection closes with 4008
        received = 0
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=60)
                received += 1
        assert closed.value.rcvd is not None and closed.value.rcvd.code == OVERFLOW_CLOSE_CODE
        assert received < BURST  # dropped: often before the first event was even sent
    # AND subscribing again re-syncs from a fresh snapshot carrying the newest seq
    with connect(f"{tiny_queues.ws_url}/v1/ws", additional_headers=ALPHA, open_timeout=10) as ws:
        ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
        snapshot = json.loads(ws.recv(timeout=10))
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == BURST
