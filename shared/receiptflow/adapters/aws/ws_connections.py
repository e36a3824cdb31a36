"""WebSocket connections and their batch subscription in ``ConnectionsTable`` (key ``connection_id``,
GSI ``batch-index`` on ``batch_id``, TTL attribute ``expires_at``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from receiptflow.adapters.aws.clients import dynamodb_client
from receiptflow.errors import ConflictError, ReceiptflowError, StoreUnavailableError
from receiptflow.ports import Connection

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_INDEX = "batch-index"
CONNECTION_TTL_SECONDS = 2 * 3600  # API Gateway closes WebSocket connections after 2 hours
_BUSY = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
    }
)


@contextmanager
def _translate(table: str) -> Iterator[None]:
    try:
        yield
    except ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code == "ConditionalCheckFailedException":
            raise ConflictError(f"table {table}: condition not met") from e
        if code in _BUSY:
            raise StoreUnavailableError(f"table {table} is busy ({code})") from e
        raise ReceiptflowError(f"table {table} request failed: {code}") from e
    except BotoCoreError as e:
        raise StoreUnavailableError(f"DynamoDB unreachable: {type(e).__name__}") from e


class ConnectionStore:
    """Connections in the connections table; entries expire with the connection's 2-hour limit."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._table = table_name
        self._client = client
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client (built on first use)."""
        if self._client is None:
            self._client = dynamodb_client()
        return self._client

    def connect(self, connection_id: str, tenant_id: str) -> None:
        """Record a new authenticated connection."""
        now = int(self._clock())
        with _translate(self._table):
            self.client.put_item(
                TableName=self._table,
                Item={
                    "connection_id": {"S": connection_id},
                    "tenant_id": {"S": tenant_id},
                    "connected_at": {"N": str(now)},
                    "expires_at": {"N": str(now + CONNECTION_TTL_SECONDS)},
                },
            )

    def get(self, connection_id: str) -> Connection | None:
        """The live connection, or None (unknown or expired)."""
        with _translate(self._table):
            item = self.client.get_item(
                TableName=self._table, Key={"connection_id": {"S": connection_id}}, ConsistentRead=True
            ).get("Item")
        if item is None or not self._live(item):
            return None
        return _connection(item)

    def subscribe(self, connection_id: str, batch_id: str) -> bool:
        """Point the connection at ``batch_id`` (replacing any earlier subscription); False when the
        connection is gone."""
        try:
            with _translate(self._table):
                self.client.update_item(
                    TableName=self._table,
                    Key={"connection_id": {"S": connection_id}},
                    UpdateExpression="SET batch_id = :b",
                    ConditionExpression="attribute_exists(connection_id)",
                    ExpressionAttributeValues={":b": {"S": batch_id}},
                )
        except ConflictError:
            return False
        return True

    def delete(self, connection_id: str) -> None:
        """Forget a connection (absent is fine)."""
        with _translate(self._table):
            self.client.delete_item(TableName=self._table, Key={"connection_id": {"S": connection_id}})

    def subscribers(self, batch_id: str) -> list[Connection]:
        """Live connections subscribed to ``batch_id``."""
        found: list[Connection] = []
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": BATCH_INDEX,
            "KeyConditionExpression": "batch_id = :b",
            "ExpressionAttributeValues": {":b": {"S": batch_id}},
        }
        while True:
            with _translate(self._table):
                page = self.client.query(**kwargs)
            found += [_connection(item) for item in page.get("Items", []) if self._live(item)]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _live(self, item: dict[str, Any]) -> bool:
        expires = item.get("expires_at", {}).get("N")
        return expires is None or int(expires) > self._clock()


def _connection(item: dict[str, Any]) -> Connection:
    batch = item.get("batch_id", {}).get("S")
    return Connection(
        connection_id=item["connection_id"]["S"], tenant_id=item["tenant_id"]["S"], batch_id=batch
    )
