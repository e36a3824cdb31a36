"""``EventPublisher`` over API Gateway WebSockets: each event's JSON goes to every connection subscribed
to its batch with ``post_to_connection``; connections that answer ``GoneException`` are forgotten.

A subscriber's failure never fails the scan that produced the event: other errors are logged and the
client re-syncs from the ``snapshot`` it gets when it subscribes again (events carry ``seq`` for that)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import apigw_management_client
from receiptflow.adapters.aws.ws_connections import ConnectionStore
from receiptflow.models import Event
from receiptflow.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient


class WebSocketPublisher:
    """Posts events to the batch's subscribers through the stage's management endpoint
    (``https://<api-id>.execute-api.<region>.amazonaws.com/<stage>``)."""

    def __init__(
        self,
        connections: ConnectionStore,
        endpoint_url: str,
        client: ApiGatewayManagementApiClient | None = None,
    ) -> None:
        self._connections = connections
        self._endpoint_url = endpoint_url
        self._client = client

    @property
    def client(self) -> ApiGatewayManagementApiClient:
        """The management API client for the endpoint (built on first use)."""
        if self._client is None:
            self._client = apigw_management_client(self._endpoint_url)
        return self._client

    def post(self, connection_id: str, data: str) -> bool:
        """Post one message to one connection; False (and the connection forgotten) when it is gone."""
        try:
            self.client.post_to_connection(ConnectionId=connection_id, Data=data.encode())
        except self.client.exceptions.GoneException:
            self._connections.delete(connection_id)
            return False
        except (ClientError, BotoCoreError) as e:
            logger.warning("post_to_connection failed", connection_id=connection_id, error=type(e).__name__)
            return False
        return True

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to every live subscriber of its batch."""
        data = event.model_dump_json()
        for connection in self._connections.subscribers(event.batch_id):
            self.post(connection.connection_id, data)
