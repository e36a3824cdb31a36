"""The ``realtime`` function and the WebSocket publisher under moto: JWT on ``$connect``, tenant-scoped
``subscribe`` answered with a snapshot, ``GoneException`` cleanup, ``$disconnect``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
from receiptflow.adapters.aws.ws_connections import ConnectionStore
from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher
from receiptflow.models import Batch, ProgressEvent
from receiptflow.wiring.aws import connection_store, publisher

from tests.support.events import lambda_context, load_event
from tests.support.serverless_stack import Stack, serverless_stack
from tests.support.tokens import serve_jwks, token


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """Tables and the management API under moto; JWKS served locally."""
    serve_jwks(monkeypatch)
    with serverless_stack(monkeypatch, tmp_path, provider="local") as stack:
        yield stack


def call(name: str, connection_id: str, *, jwt: str | None = None, body: dict[str, Any] | None = None) -> Any:
    """Invoke the realtime handler with one WebSocket event fixture."""
    from realtime.app import handler

    event = load_event(name)
    event["requestContext"]["connectionId"] = connection_id
    if name == "ws_connect":
        event["queryStringParameters"] = {"token": jwt} if jwt else None
    if body is not None:
        event["body"] = json.dumps(body)
    return handler(event, lambda_context("RealtimeFunction"))


@pytest.mark.parametrize(
    ("credential", "why"),
    [
        (None, "no token"),
        ("not-a-jwt", "garbage"),
        (token("tenant-a", audience="someone-else"), "wrong audience"),
        (token("tenant-a", issuer="https://evil.example.com"), "wrong issuer"),
        (token("tenant-a", ttl=-3600), "expired"),
        (token(None), "no tenant claim"),
    ],
)
def test_connect_refuses_bad_credentials(stack: Stack, credential: str | None, why: str) -> None:
    assert call("ws_connect", "c1", jwt=credential)["statusCode"] == 401, why
    assert connection_store().get("c1") is None


def test_connect_accepts_a_bearer_header(stack: Stack) -> None:
    from realtime.app import handler

    event = load_event("ws_connect")
    event["queryStringParameters"] = None
    event["headers"]["Authorization"] = f"Bearer {token('tenant-b')}"
    assert handler(event, lambda_context())["statusCode"] == 200
    connection = connection_store().get(event["requestContext"]["connectionId"])
    assert connection is not None and connection.tenant_id == "tenant-b"


def test_subscribe_answers_a_snapshot_for_own_batches_only(stack: Stack) -> None:
    # GIVEN one batch of tenant-a, and two connected clients, one per tenant
    store = DynamoBatchStore(stack.table)
    store.create_batch(Batch(batch_id="b-1", tenant_id="tenant-a", name="trip"))
    assert call("ws_connect", "mine", jwt=token("tenant-a"))["statusCode"] == 200
    assert call("ws_connect", "theirs", jwt=token("tenant-b"))["statusCode"] == 200

    # WHEN both subscribe to it, and tenant-a also to a batch that does not exist
    call("ws_subscribe", "mine", body={"action": "subscribe", "batch_id": "b-1"})
    call("ws_subscribe", "theirs", body={"action": "subscribe", "batch_id": "b-1"})
    call("ws_subscribe", "mine", body={"action": "subscribe", "batch_id": "missing"})

    # THEN the owner gets the snapshot; a foreign batch reads exactly like a missing one
    mine, theirs = stack.socket_messages("mine"), stack.socket_messages("theirs")
    assert mine[0]["type"] == "snapshot" and mine[0]["batch"]["name"] == "trip"
    assert [(m["type"], m["code"], m["retryable"]) for m in theirs] == [("problem", "not_found", False)]
    missing = mine[1]
    assert (missing["type"], missing["code"]) == ("problem", "not_found")
    assert missing["detail"].replace("missing", "b-1") == theirs[0]["detail"]
    # and only the owner receives the batch's events
    assert [c.connection_id for c in connection_store().subscribers("b-1")] == ["mine"]


def test_ping_answers_pong_and_unknown_actions_a_problem(stack: Stack) -> None:
    assert call("ws_connect", "c2", jwt=token("tenant-a"))["statusCode"] == 200
    call("ws_subscribe", "c2", body={"action": "ping"})
    call("ws_subscribe", "c2", body={"action": "dance"})
    messages = stack.socket_messages("c2")
    assert messages[0] == {"type": "pong"}
    assert (messages[1]["type"], messages[1]["code"]) == ("problem", "invalid_request")


def test_disconnect_forgets_the_connection(stack: Stack) -> None:
    assert call("ws_connect", "c3", jwt=token("tenant-a"))["statusCode"] == 200
    assert call("ws_disconnect", "c3")["statusCode"] == 200
    assert connection_store().get("c3") is None


def test_publisher_drops_connections_that_are_gone(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN two subscribers of a batch, one of which has gone away (moto never answers GoneException)
    connections: ConnectionStore = connection_store()
    for connection_id in ("alive", "gone"):
        connections.connect(connection_id, "tenant-a")
        assert connections.subscribe(connection_id, "b-9")
    poster = publisher()
    assert isinstance(poster, WebSocketPublisher)
    post = poster.client.post_to_connection
    gone = poster.client.exceptions.GoneException(
        {"Error": {"Code": "GoneException", "Message": "gone"}}, "PostToConnection"
    )

    def post_or_gone(**kwargs: Any) -> Any:
        if kwargs["ConnectionId"] == "gone":
            raise gone
        return post(**kwargs)

    monkeypatch.setattr(poster.client, "post_to_connection", post_or_gone)

    # WHEN an event is published
    poster.publish(ProgressEvent(batch_id="b-9", seq=7, done=1, total=2))

    # THEN the live one got it and the gone one is forgotten
    assert [m["seq"] for m in stack.socket_messages("alive")] == [7]
    assert connections.get("gone") is None
    assert [c.connection_id for c in connections.subscribers("b-9")] == ["alive"]


def test_publisher_survives_other_post_failures(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    connections = connection_store()
    connections.connect("flaky", "tenant-a")
    connections.subscribe("flaky", "b-8")
    poster = publisher()
    assert isinstance(poster, WebSocketPublisher)

    def refuse(**kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "LimitExceededException", "Message": "slow down"}}, "PostToConnection"
        )

    monkeypatch.setattr(poster.client, "post_to_connection", refuse)
    poster.publish(ProgressEvent(batch_id="b-8", seq=1, done=0, total=1))  # does not raise
    assert connections.get("flaky") is not None
