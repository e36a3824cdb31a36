"""WebSocket fan-out load check: N concurrent subscribers on one batch, over loopback, each must receive
every event of the batch in seq order. Bounded: N subscribers, M images, and a deadline.

    .venv/bin/python bench/ws_fanout.py [--subscribers 200] [--images 12] [--timeout 300]

A real ``receiptflow`` server (uvicorn, SQLite, local OCR with one worker) runs in a thread; the clients
are asyncio ``websockets`` connections in the main thread. Prints delivered/expected and latencies.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image, ImageDraw, ImageFont
from receiptflow.api import create_app
from receiptflow.models import parse_event, utcnow
from receiptflow.settings import Settings
from receiptflow.wiring.local import LocalRoot
from websockets.asyncio.client import connect

KEY = "bench-key"
HEADERS = {"Authorization": f"Bearer {KEY}"}


@dataclass
class Subscriber:
    """What one client received."""

    seqs: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    snapshot_seq: int = -1


def receipt_jpeg(n: int) -> bytes:
    """A small legible receipt image, distinct per ``n``."""
    font = ImageFont.load_default(size=28)
    lines = [f"SHOP NUMBER {n}", "1 MAIN STREET", "DATE: 2024-05-01", f"ITEM {n:<12}{n + 1.5:>8.2f}", "",
             f"TOTAL{'':<11}{n + 1.5:>8.2f}"]  # fmt: skip
    image = Image.new("RGB", (600, 60 + 42 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for row, text in enumerate(lines):
        draw.text((30, 30 + 42 * row), text, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _subscribe(
    url: str, batch_id: str, ready: asyncio.Event, count: list[int], n: int, out: Subscriber
) -> None:
    async with connect(url, additional_headers=HEADERS, open_timeout=60, max_queue=None) as ws:
        await ws.send(json.dumps({"action": "subscribe", "batch_id": batch_id}))
        snapshot = parse_event(await ws.recv())
        out.snapshot_seq = snapshot.seq
        count[0] += 1
        if count[0] == n:
            ready.set()
        while True:
            event = parse_event(await ws.recv())
            out.seqs.append(event.seq)
            out.latencies_ms.append((utcnow() - event.ts).total_seconds() * 1000)
            if event.type == "complete":
                return


async def _run_clients(
    base: str, ws_url: str, subscribers: int, images: int, timeout: float
) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, headers=HEADERS, timeout=60) as client:
        created = await client.post("/v1/batches", json={"name": "fanout", "options": {"use_cache": False}})
        batch_id = created.json()["batch"]["batch_id"]
        files = [("files", (f"r{n}.jpg", receipt_jpeg(n), "image/jpeg")) for n in range(images)]
        (await client.post(f"/v1/batches/{batch_id}/files", files=files)).raise_for_status()
        ready = asyncio.Event()
        count = [0]
        results = [Subscriber() for _ in range(subscribers)]
        tasks = [
            asyncio.create_task(
                _subscribe(f"{ws_url}/v1/ws", batch_id, ready, count, subscribers, results[i])
            )
            for i in range(subscribers)
        ]
        connect_start = time.perf_counter()
        await asyncio.wait_for(ready.wait(), timeout=timeout)
        connected_s = time.perf_counter() - connect_start
        run_start = time.perf_counter()
        (await client.post(f"/v1/batches/{batch_id}/start")).raise_for_status()
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            task.cancel()
        elapsed = time.perf_counter() - run_start
    return {"batch_id": batch_id, "subscribers": results, "connected_s": connected_s, "elapsed_s": elapsed,
            "timed_out": len(pending)}  # fmt: skip


def run_fanout(subscribers: int = 200, images: int = 12, timeout: float = 300.0) -> dict[str, Any]:
    """Run the check; returns delivered/expected counts, ordering and latency figures."""
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(
            data_dir=Path(data_dir), workers=1, provider="local", rate_limit_per_minute=100_000
        )
        services = LocalRoot(settings).api_services({KEY: "bench"})
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        try:
            base, ws_url = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
            run = asyncio.run(_run_clients(base, ws_url, subscribers, images, timeout))
            assert services.events is not None
            published = [e.seq for e in services.events.history(run["batch_id"])]
        finally:
            server.should_exit = True
            thread.join(60)
    clients: list[Subscriber] = run["subscribers"]
    expected_per_client = [[s for s in published if s > c.snapshot_seq] for c in clients]
    expected = sum(len(e) for e in expected_per_client)
    delivered = sum(len(set(c.seqs) & set(e)) for c, e in zip(clients, expected_per_client, strict=True))
    in_order = sum(c.seqs == e for c, e in zip(clients, expected_per_client, strict=True))
    latencies = sorted(ms for c in clients for ms in c.latencies_ms)
    return {
        "subscribers": subscribers,
        "images": images,
        "events_published": len(published),
        "expected": expected,
        "delivered": delivered,
        "clients_complete_in_order": in_order,
        "timed_out_clients": run["timed_out"],
        "connect_all_s": round(run["connected_s"], 2),
        "batch_s": round(run["elapsed_s"], 2),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None,
        "latency_max_ms": round(latencies[-1], 1) if latencies else None,
    }


def main(argv: list[str] | None = None) -> int:
    """Print the figures; exit 1 unless every subscriber got every event in order."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--images", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    report = run_fanout(args.subscribers, args.images, args.timeout)
    for key, value in report.items():
        print(f"{key:>26}: {value}")
    print(f"delivered/expected: {report['delivered']}/{report['expected']}")
    ok = report["delivered"] == report["expected"] and report["clients_complete_in_order"] == args.subscribers
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
