"""WebSocket routes: ``$connect`` (JWT from ``?token=`` or ``Authorization``), ``$disconnect``,
``subscribe`` (answers a ``snapshot`` of the caller's batch) and ``$default`` (``ping`` / help)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field
from receiptflow.errors import InvalidRequestError, ReceiptflowError, UnauthorizedError
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.realtime import subscriptions
from receiptflow.realtime.auth import bearer_token, verifier_from_settings
from receiptflow.settings import get_settings
from receiptflow.wiring.aws import batch_store, connection_store, socket_poster


class ConnectEvent(APIGatewayWebSocketConnectEventModel):
    """Powertools' ``$connect`` model plus the query string (where browsers put the token)."""

    headers: dict[str, str] = Field(default_factory=dict)
    multi_value_headers: dict[str, list[str]] = Field(default_factory=dict, alias="multiValueHeaders")
    query_string_parameters: dict[str, str] | None = Field(default=None, alias="queryStringParameters")


class SubscribeMessage(BaseModel):
    """``{"action": "subscribe", "batch_id": "…"}``."""

    action: str
    batch_id: str | None = None


def _response(status: int, body: str = "") -> dict[str, Any]:
    return {"statusCode": status, "body": body}


def _post(connection_id: str, message: dict[str, Any]) -> None:
    poster = socket_poster()
    if poster is not None:
        poster.post(connection_id, json.dumps(message, default=str))


def on_connect(event: dict[str, Any]) -> dict[str, Any]:
    """Authenticate and record the connection; 401 refuses the handshake."""
    connect = parse(event=event, model=ConnectEvent)
    try:
        token = bearer_token(connect.headers, connect.query_string_parameters)
        tenant = verifier_from_settings(get_settings()).tenant_of(token)
    except UnauthorizedError as e:
        logger.info("connection refused", reason=e.message)
        metrics.add_metric(name="SocketsRefused", unit=MetricUnit.Count, value=1)
        return _response(401, "unauthorized")
    subscriptions.connect(connection_store(), connect.request_context.connection_id, tenant)
    metrics.add_metric(name="SocketsConnected", unit=MetricUnit.Count, value=1)
    return _response(200)


def on_disconnect(event: dict[str, Any]) -> dict[str, Any]:
    """Forget the connection."""
    disconnect = parse(event=event, model=APIGatewayWebSocketDisconnectEventModel)
    subscriptions.disconnect(connection_store(), disconnect.request_context.connection_id)
    metrics.add_metric(name="SocketsDisconnected", unit=MetricUnit.Count, value=1)
    return _response(200)


def on_message(event: dict[str, Any]) -> dict[str, Any]:
    """``subscribe`` → snapshot; ``ping`` → pong; anything else → a ``problem`` message."""
    message_event = parse(event=event, model=APIGatewayWebSocketMessageEventModel)
    connection_id = message_event.request_context.connection_id
    try:
        message = SubscribeMessage.model_validate_json(str(message_event.body or "{}"))
    except ValueError:
        message = SubscribeMessage(action="")
    if message.action == "ping":
        _post(connection_id, {"type": "pong"})
        metrics.add_metric(name="Pings", unit=MetricUnit.Count, value=1)
        return _response(200)
    try:
        if message.action != "subscribe" or not message.batch_id:
            raise InvalidRequestError('send {"action": "subscribe", "batch_id": "…"} or {"action": "ping"}')
        # a plain read (the function may only read batches); the API's reads settle a stuck cancel
        snapshot = subscriptions.subscribe(
            connection_store(), batch_store().get_batch, connection_id, message.batch_id
        )
    except ReceiptflowError as e:
        problem = {"type": "problem", "batch_id": message.batch_id, "code": e.code, "detail": e.message}
        _post(connection_id, {**problem, "retryable": e.retryable})
        metrics.add_metric(name="SocketProblems", unit=MetricUnit.Count, value=1)
        return _response(200)
    _post(connection_id, json.loads(snapshot.model_dump_json()))
    metrics.add_metric(name="Subscriptions", unit=MetricUnit.Count, value=1)
    return _response(200)


ROUTES = {"$connect": on_connect, "$disconnect": on_disconnect}


@logger.inject_lambda_context(correlation_id_path="requestContext.connectionId")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Dispatch on the route key."""
    route = str(event.get("requestContext", {}).get("routeKey", ""))
    return ROUTES.get(route, on_message)(event)
