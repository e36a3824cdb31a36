"""The HTTP API and real-time progress (WebSocket + SSE): one FastAPI app for uvicorn and Mangum."""

from receiptflow.api.app import create_app
from receiptflow.api.services import ApiServices

__all__ = ["ApiServices", "create_app"]
