"""End to end against a real ``receiptflow serve``: slow and many clients are bounded (header deadline,
body timeouts, connection cap) while normal clients are served, and the API key never reaches a log
line, however it is sent (``?token=`` on SSE and the WebSocket, header, WebSocket subprotocol)."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psutil
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.serve_process import API_KEY, AUTH, serve

pytestmark = pytest.mark.e2e

SLOW_CLIENTS = 300
MAX_CONNECTIONS = 40
HEADER_TIMEOUT_S = 2.0
BODY_TIMEOUT_S = 2.0


def _established(pid: int, port: int) -> int:
    """Connections the server holds open on its port."""
    conns = psutil.Process(pid).net_connections(kind="tcp")
    return sum(c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port for c in conns)


def _closed_by_server(sock: socket.socket) -> bool:
    try:
        sock.sendall(b"X-More: 1\r\n")
        sock.settimeout(0.2)
        return sock.recv(1) == b""
    except (ConnectionError, TimeoutError, OSError) as e:
        return not isinstance(e, TimeoutError)


def test_slowloris_headers_and_bodies_are_cut_off_and_connections_capped(tmp_path: Path) -> None:
    flags = ("--max-connections", str(MAX_CONNECTIONS), "--header-timeout", str(HEADER_TIMEOUT_S)) + (
        "--body-timeout",
        str(BODY_TIMEOUT_S),
    )
    with serve(tmp_path / "data", workers=1, args=flags) as server:
        host, port = "127.0.0.1", urlsplit(server.url).port or 0
        # GIVEN hundreds of clients that send their headers a few bytes at a time, and some that
        # send a body one byte at a time
        slow: list[socket.socket] = []
        for n in range(SLOW_CLIENTS):
            with contextlib.suppress(OSError):
                sock = socket.create_connection((host, port), timeout=2)
                if n % 10 == 0:
                    sock.sendall(
                        b"POST /v1/batches HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                        + API_KEY.encode()
                        + b"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
                    )
                else:
                    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                slow.append(sock)
        started = time.monotonic()
        # THEN the server holds at most its cap of them (the others are closed as they arrive)
        time.sleep(0.5)
        held = max(_established(server.proc.pid, port) for _ in range(5))
        assert held <= MAX_CONNECTIONS, held
        # WHEN they keep trickling, one byte every 0.25 s
        while time.monotonic() - started < HEADER_TIMEOUT_S + BODY_TIMEOUT_S + 2:
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b"a")
            time.sleep(0.25)
        # THEN every one of them has been closed by the server
        still_open = [s for s in slow if not _closed_by_server(s)]
        for sock in slow:
            sock.close()
        assert still_open == []
        # AND normal clients are served at once
        for _ in range(5):
            assert httpx.get(server.url + "/health", timeout=5).status_code == 200
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client:
            assert client.post("/v1/batches", json={"name": "after the storm"}).status_code == 201


def test_the_api_key_never_reaches_the_logs(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    encoded = "".join(f"%{b:02X}" for b in API_KEY.encode())
    with serve(tmp_path / "data", workers=1, log_level="debug", log_file=log) as server:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client:
            batch_id = client.post("/v1/batches", json={"name": "logs"}).json()["batch"]["batch_id"]
        ws_url = server.url.replace("http", "ws") + "/v1/ws"
        # WHEN the key travels in the query string of SSE, of the WebSocket and of plain routes,
        # in every spelling (case, position, percent-encoded)
        queries = [
            f"token={API_KEY}",
            f"x=1&token={API_KEY}&y=2",
            f"TOKEN={API_KEY}",
            f"access_token={API_KEY}",
            f"token={encoded}",
        ]
        for query in queries:
            url = f"{server.url}/v1/batches/{batch_id}/events?{query}"
            with httpx.stream("GET", url, timeout=10) as response:
                if response.status_code == 200:
                    next(response.iter_lines())
            httpx.get(f"{server.url}/v1/batches?{query}", timeout=10)
        with connect(f"{ws_url}?token={API_KEY}", open_timeout=10) as ws:
            ws.send('{"action": "ping"}')
            assert '"pong"' in str(ws.recv(timeout=10))
        # AND the documented ways: the WebSocket subprotocol (only the marker is echoed) and the header
        with connect(ws_url, subprotocols=["receiptflow.bearer", API_KEY], open_timeout=10) as ws:  # type: ignore[list-item]
            assert ws.subprotocol == "receiptflow.bearer"
            assert ws.response is not None and API_KEY not in str(ws.response.headers)
            ws.send(f'{{"action": "subscribe", "batch_id": "{batch_id}"}}')
            assert '"snapshot"' in str(ws.recv(timeout=10))
        with connect(ws_url, additional_headers=AUTH, open_timeout=10) as ws:
            ws.send('{"action": "ping"}')
            assert '"pong"' in str(ws.recv(timeout=10))
        with pytest.raises(InvalidStatus):
            connect(ws_url, subprotocols=["receiptflow.bearer", "wrong-key"], open_timeout=10)  # type: ignore[list-item]
        time.sleep(0.5)  # let the access log flush

    # THEN no log line holds the key, in any spelling, though the requests were logged (redacted)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "[redacted]" in text and f"/v1/batches/{batch_id}/events" in text
    leaked = [line for line in text.splitlines() if API_KEY in line or encoded.lower() in line.lower()]
    assert leaked == []
