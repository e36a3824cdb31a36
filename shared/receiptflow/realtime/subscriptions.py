"""The WebSocket routes' core: connect (authenticated), subscribe (tenant-scoped, answers a snapshot),
disconnect. Another tenant's batch id is answered exactly like a missing one."""

from __future__ import annotations

from collections.abc import Callable

from receiptflow.errors import UnauthorizedError
from receiptflow.models import Batch, SnapshotEvent
from receiptflow.ports import ConnectionRegistry

BatchReader = Callable[[str, str], Batch]  # (tenant_id, batch_id) -> the batch (BatchService.get)


def connect(connections: ConnectionRegistry, connection_id: str, tenant_id: str) -> None:
    """Record an authenticated connection."""
    connections.connect(connection_id, tenant_id)


def subscribe(
    connections: ConnectionRegistry, read_batch: BatchReader, connection_id: str, batch_id: str
) -> SnapshotEvent:
    """Subscribe the connection to its tenant's batch and return the snapshot to send back right away.
    ``UnauthorizedError`` for an unknown connection; ``NotFoundError`` for a missing or foreign batch."""
    connection = connections.get(connection_id)
    if connection is None:
        raise UnauthorizedError("unknown connection; reconnect")
    batch = read_batch(connection.tenant_id, batch_id)  # another tenant's batch → NotFoundError
    if not connections.subscribe(connection_id, batch.batch_id):
        raise UnauthorizedError("the connection closed")
    return SnapshotEvent(batch_id=batch.batch_id, seq=batch.last_seq, batch=batch)


def disconnect(connections: ConnectionRegistry, connection_id: str) -> None:
    """Forget the connection."""
    connections.delete(connection_id)
