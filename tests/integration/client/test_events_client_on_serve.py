"""The reference events client against ``receiptflow serve``'s WebSocket: directly, and through a proxy that
reorders, duplicates and loses events the way a fan-out of concurrent Lambdas over API Gateway can. The
client delivers every event once, in ``seq`` order, and recovers a lost one by subscribing again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from receiptflow.client.events import EventSubscriber, is_final
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.support.bad_inputs import encode_image, receipt_image

API_KEY = "key-events"
TENANT = "events"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``receiptflow serve`` as a subprocess on a loopback port (the local OCR engine, one worker)."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("serve")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPENAI_", "RECEIPTFLOW_"))}
    env.update(RECEIPTFLOW_API_KEYS=f"{TENANT}:{API_KEY}", RECEIPTFLOW_PROVIDER="local")
    command = [sys.executable, "-m", "receiptflow", "serve", "--port", str(port), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        [*command, "--workers", "1", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"receiptflow serve exited with {proc.returncode}"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "receiptflow serve did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(30)


def new_batch(url: str) -> str:
    """A batch of one receipt and three files that are not images (each an ``error`` event)."""
    files = [("files", ("receipt.png", encode_image(receipt_image(), "PNG"), "image/png"))]
    files += [("files", (f"note{n}.txt", f"not an image {n}".encode(), "text/plain")) for n in range(3)]
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        batch_id = str(client.post("/v1/batches", json={"name": "events"}).json()["batch"]["batch_id"])
        assert client.post(f"/v1/batches/{batch_id}/files", files=files).status_code == 201
    return batch_id


def start(url: str, batch_id: str) -> None:
    """Start the batch (called once the follower holds its snapshot)."""
    with httpx.Client(base_url=url, headers=AUTH, timeout=60) as client:
        assert client.post(f"/v1/batches/{batch_id}/start").status_code == 202


async def follow(subscriber: EventSubscriber, url: str, batch_id: str) -> list[dict[str, Any]]:
    """Every event the client delivers, the batch started right after the first (the snapshot)."""
    delivered: list[dict[str, Any]] = []
    async for event in subscriber.events(batch_id):
        delivered.append(event)
        if len(delivered) == 1:
            await asyncio.to_thread(start, url, batch_id)
    return delivered


def assert_in_order_once(delivered: list[dict[str, Any]]) -> None:
    """A snapshot, then consecutive seqs (after any re-sync snapshot too), ending with ``complete``."""
    assert delivered[0]["type"] == "snapshot" and is_final(delivered[-1])
    expected = delivered[0]["seq"]
    for event in delivered:
        if event["type"] == "snapshot":
            assert event["seq"] >= expected - 1
        else:
            assert event["seq"] == expected, [e["seq"] for e in delivered]
        expected = event["seq"] + 1
    kinds = [e["type"] for e in delivered]
    assert kinds.count("error") == 3 and kinds.count("result") == 1 and kinds[-1] == "complete"


def test_the_client_follows_a_batch_in_order(server: str) -> None:
    batch_id = new_batch(server)
    subscriber = EventSubscriber(server.replace("http", "ws") + "/v1/ws", token=API_KEY)
    delivered = asyncio.run(asyncio.wait_for(follow(subscriber, server, batch_id), 240))
    assert_in_order_once(delivered)
    assert subscriber.resubscriptions == 0


class Scrambler:
    """A WebSocket proxy that delivers the server's events out of order: it holds them in threes and sends
    each trio reversed, repeats every third event, and loses the first ``result`` once."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.lost: list[int] = []

    async def handle(self, client: ServerConnection) -> None:
        async with connect(self.upstream) as upstream:
            tasks = {
                asyncio.create_task(self._pump(client, upstream)),
                asyncio.create_task(self._scramble(upstream, client)),
            }
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:  # one side closed: so is the proxy
                task.cancel()

    @staticmethod
    async def _pump(source: Any, sink: Any) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for message in source:
                await sink.send(message)

    async def _scramble(self, upstream: Any, client: ServerConnection) -> None:
        held: list[str] = []
        with contextlib.suppress(ConnectionClosed):
            while True:
                try:
                    message = await asyncio.wait_for(upstream.recv(), 0.3 if held else None)
                except TimeoutError:
                    message = None
                if message is not None:
                    parsed = json.loads(message)
                    if parsed.get("type") == "result" and not self.lost:
                        self.lost.append(parsed["seq"])  # this one never reaches the client
                        continue
                    held.append(str(message))
                if len(held) == 3 or (message is None and held):
                    for index, text in enumerate(reversed(held)):
                        await client.send(text)
                        if index == 0:
                            await client.send(text)  # delivered twice
                    held.clear()


async def follow_through_scrambler(server: str, batch_id: str) -> tuple[list[dict[str, Any]], Scrambler, int]:
    scrambler = Scrambler(server.replace("http", "ws") + f"/v1/ws?token={API_KEY}")
    port = free_port()
    async with serve(scrambler.handle, "127.0.0.1", port):
        subscriber = EventSubscriber(f"ws://127.0.0.1:{port}", hold_seconds=1.0)
        delivered = await follow(subscriber, server, batch_id)
    return delivered, scrambler, subscriber.resubscriptions


def test_the_client_reorders_dedupes_and_recovers_a_lost_event(server: str) -> None:
    batch_id = new_batch(server)
    delivered, scrambler, resubscriptions = asyncio.run(
        asyncio.wait_for(follow_through_scrambler(server, batch_id), 240)
    )
    # THEN the client still delivered every event once and in order; the lost one was recovered by a
    # re-subscription whose snapshot reflects it
    assert scrambler.lost and resubscriptions >= 1
    assert [e["type"] for e in delivered].count("snapshot") >= 2
    lost = scrambler.lost[0]
    assert any(e["type"] == "snapshot" and e["seq"] >= lost for e in delivered[1:])
    assert_in_order_once_allowing_the_lost(delivered, lost)


def assert_in_order_once_allowing_the_lost(delivered: list[dict[str, Any]], lost: int) -> None:
    """Like :func:`assert_in_order_once`, except the lost ``result`` appears only through the snapshot."""
    seqs = [e["seq"] for e in delivered if e["type"] != "snapshot"]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)) and lost not in seqs
    assert is_final(delivered[-1])  # ``complete``, or a re-sync snapshot of the finished batch
