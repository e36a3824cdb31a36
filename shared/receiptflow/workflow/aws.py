"""The workflow wired to AWS (DynamoDB, S3, WebSockets, EventBridge, Step Functions) from settings.

Built lazily once per warm Lambda container; tests start moto first and call :func:`reset`."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from receiptflow.ports import EventPublisher
from receiptflow.scanning.scanner import Scanner
from receiptflow.settings import get_settings
from receiptflow.workflow.deps import NullPublisher, Workflow

if TYPE_CHECKING:
    from receiptflow.adapters.aws.sfn_orchestrator import StepFunctionsOrchestrator
    from receiptflow.adapters.aws.ws_connections import ConnectionStore


@lru_cache(maxsize=1)
def connection_store() -> ConnectionStore:
    """Connections in ``settings.connections_table_name``."""
    from receiptflow.adapters.aws.ws_connections import ConnectionStore

    return ConnectionStore(get_settings().connections_table_name)


def _publisher() -> EventPublisher:
    from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher

    settings = get_settings()
    if not settings.websocket_endpoint or not settings.connections_table_name:
        return NullPublisher()
    return WebSocketPublisher(connection_store(), settings.websocket_endpoint)


@lru_cache(maxsize=8)
def scanner(provider: str | None) -> Scanner:
    """The scanner for ``provider`` (None = ``settings.provider``) with the DynamoDB result cache."""
    from receiptflow.adapters.aws.dynamo_cache import DynamoResultCache
    from receiptflow.wiring.providers import build_provider

    settings = get_settings()
    cache = DynamoResultCache(settings.table_name) if settings.cache_enabled else None
    return Scanner(build_provider(provider or settings.provider, settings), cache, settings)


@lru_cache(maxsize=1)
def aws_workflow() -> Workflow:
    """The workflow over the resources named in settings (the template's Globals)."""
    from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
    from receiptflow.adapters.aws.eventbridge_notifier import EventBridgeNotifier
    from receiptflow.adapters.aws.s3_blob_store import S3BlobStore

    settings = get_settings()
    return Workflow(
        settings=settings,
        store=DynamoBatchStore(settings.table_name, retention_days=settings.result_retention_days),
        blobs=S3BlobStore(settings.bucket_name),
        bucket=settings.bucket_name,
        publisher=_publisher(),
        notifier=EventBridgeNotifier(settings.event_bus_name),
        scanners=scanner,
    )


@lru_cache(maxsize=1)
def aws_orchestrator() -> StepFunctionsOrchestrator:
    """The Step Functions orchestrator over the same store and bucket."""
    from receiptflow.adapters.aws.sfn_orchestrator import StepFunctionsOrchestrator

    workflow = aws_workflow()
    return StepFunctionsOrchestrator(
        settings=workflow.settings, store=workflow.store, blobs=workflow.blobs, publisher=workflow.publisher
    )


def reset() -> None:
    """Forget every cached part (tests, after starting moto or changing settings)."""
    for factory in (connection_store, scanner, aws_workflow, aws_orchestrator):
        factory.cache_clear()
