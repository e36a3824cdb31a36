"""Real-time progress in AWS: API Gateway WebSocket connections (``ConnectionsTable``), ``$connect``
JWT authentication and ``subscribe`` handling. The protocol is the one in ``receiptflow.models.events``."""
