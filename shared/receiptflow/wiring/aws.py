"""The AWS composition root: every AWS adapter built once per warm Lambda container, over the resources
the template's Globals name in settings (table, bucket, state machine, WebSocket API, event bus).

Each part is an ``lru_cache`` factory: nothing is built at import time and nothing reads the environment
before the first call. Tests start moto first and call :func:`reset`."""

from __future__ import annotations

from dataclasses import asdict
from functools import lru_cache
from typing import TYPE_CHECKING

from receiptflow.settings import get_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
    from receiptflow.adapters.aws.dynamo_folder_ledger import DynamoFolderLedger
    from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
    from receiptflow.adapters.aws.ws_connections import ConnectionStore
    from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher
    from receiptflow.adapters.webhook_notifier import WebhookNotifier
    from receiptflow.api.services import ApiServices
    from receiptflow.batches.ingest import DropFolders
    from receiptflow.batches.service import BatchService
    from receiptflow.models import ScanResult
    from receiptflow.ports import EventPublisher, FolderTimer, ResultCache
    from receiptflow.scanning.scanner import Scanner


class NullPublisher:
    """A publisher with no subscribers (no WebSocket API configured)."""

    def publish(self, event: object) -> None:
        """Drop ``event``."""


@lru_cache(maxsize=1)
def batch_store() -> DynamoBatchStore:
    """Batches and items in ``settings.table_name``."""
    from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore

    settings = get_settings()
    return DynamoBatchStore(settings.table_name, retention_days=settings.result_retention_days)


@lru_cache(maxsize=1)
def blob_store() -> S3BlobStore:
    """Uploads, drop folders, manifests and exports in ``settings.bucket_name``."""
    from receiptflow.adapters.aws.s3_blob_store import S3BlobStore

    return S3BlobStore(get_settings().bucket_name)


@lru_cache(maxsize=1)
def result_cache() -> ResultCache | None:
    """The content-hash cache in the table (None when caching is off)."""
    from receiptflow.adapters.aws.dynamo_cache import DynamoResultCache

    settings = get_settings()
    return DynamoResultCache(settings.table_name) if settings.cache_enabled else None


@lru_cache(maxsize=1)
def connection_store() -> ConnectionStore:
    """WebSocket connections in ``settings.connections_table_name``."""
    from receiptflow.adapters.aws.ws_connections import ConnectionStore

    return ConnectionStore(get_settings().connections_table_name)


@lru_cache(maxsize=1)
def socket_poster() -> WebSocketPublisher | None:
    """The WebSocket publisher (None when no WebSocket API is configured): the one place it is built."""
    from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher

    settings = get_settings()
    if not settings.websocket_endpoint or not settings.connections_table_name:
        return None
    return WebSocketPublisher(connection_store(), settings.websocket_endpoint)


def publisher() -> EventPublisher:
    """Where events go: the batch's WebSocket subscribers, or nowhere."""
    poster = socket_poster()
    return poster if poster is not None else NullPublisher()


@lru_cache(maxsize=8)
def scanner(provider: str | None) -> Scanner:
    """The scanner for ``provider`` (None = ``settings.provider``) with the DynamoDB result cache."""
    from receiptflow.wiring.providers import build_scanner

    settings = get_settings()
    return build_scanner(provider or settings.provider, settings, result_cache(), mode="aws")


@lru_cache(maxsize=1)
def batch_service() -> BatchService:
    """THE batch service over DynamoDB, S3, Step Functions, the WebSocket API and EventBridge."""
    from receiptflow.adapters.aws.eventbridge_notifier import EventBridgeNotifier
    from receiptflow.adapters.aws.sfn_dispatcher import StepFunctionsDispatcher
    from receiptflow.batches.service import BatchService

    settings = get_settings()
    blobs = blob_store()
    return BatchService(
        settings=settings,
        store=batch_store(),
        dispatcher=StepFunctionsDispatcher(
            state_machine_arn=settings.state_machine_arn, bucket=settings.bucket_name, blobs=blobs
        ),
        publisher=publisher(),
        blobs=blobs,
        bucket=settings.bucket_name,
        notifier=EventBridgeNotifier(settings.event_bus_name),
        exports=blobs,
        scanners=scanner,
    )


@lru_cache(maxsize=1)
def folder_ledger() -> DynamoFolderLedger:
    """The drop folders' tokens, closes and claims in ``settings.table_name``."""
    from receiptflow.adapters.aws.dynamo_folder_ledger import DynamoFolderLedger

    return DynamoFolderLedger(get_settings().table_name)


@lru_cache(maxsize=1)
def folder_timer() -> FolderTimer | None:
    """The SQS delay queue carrying the quiet-close timers (None: only ``_READY`` closes a folder)."""
    from receiptflow.adapters.aws.sqs_timer import SqsFolderTimer

    queue_url = get_settings().inbox_timer_queue_url
    return SqsFolderTimer(queue_url) if queue_url else None


@lru_cache(maxsize=1)
def drop_folders() -> DropFolders:
    """THE drop-folder rule over the batch service, S3, the folder ledger and the timer queue."""
    from receiptflow.batches.ingest import DropFolders

    return DropFolders(
        service=batch_service(),
        objects=blob_store(),
        ledger=folder_ledger(),
        timer=folder_timer(),
        quiet_seconds=get_settings().inbox_quiet_seconds,
        max_open_seconds=get_settings().inbox_max_open_seconds,
    )


@lru_cache(maxsize=1)
def webhook_notifier() -> WebhookNotifier:
    """Signs and POSTs completion webhooks; the secret is read from Secrets Manager or SSM on the first
    delivery (``settings.webhook_secret_name``; ``settings.webhook_secret`` wins when set)."""
    from receiptflow.adapters.aws.secrets import webhook_secret
    from receiptflow.adapters.webhook_notifier import WebhookNotifier

    settings = get_settings()
    # bounded so a delivery fits the function's timeout: 6 attempts, waits capped at 30 s (docs/webhooks.md)
    return WebhookNotifier(lambda: webhook_secret(settings), attempts=6, max_backoff_s=30.0)


@lru_cache(maxsize=1)
def api_services() -> ApiServices:
    """What the HTTP API's routes use in AWS (tenant from the JWT authorizer's claims; live events are
    served by the WebSocket API, so the app's own SSE/WebSocket routes answer 501 here)."""
    from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore
    from receiptflow.api.auth import JwtClaimsAuthenticator
    from receiptflow.api.circuits import circuit_reader
    from receiptflow.api.ratelimit import RateLimiter
    from receiptflow.api.services import ApiServices
    from receiptflow.api.uploads import PresignedUploads
    from receiptflow.wiring.providers import chain_names, provider_readiness

    settings = get_settings()
    store, blobs, batches = batch_store(), blob_store(), batch_service()

    def scan(data: bytes, source: str) -> ScanResult:
        return scanner(None).process(data, source)

    return ApiServices(
        settings=settings,
        store=store,
        blobs=blobs,
        batches=batches,
        authenticator=JwtClaimsAuthenticator(settings.jwt_tenant_claim),
        uploads=PresignedUploads(batches, blobs, settings.max_file_bytes),
        scan=scan,
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        circuit_states=circuit_reader(
            DynamoBreakerStore(settings.table_name), settings, chain_names(settings, mode="aws")
        ),
        provider_readiness=lambda: [asdict(r) for r in provider_readiness(settings, mode="aws")],
        health_checks={
            "batch_store": lambda: store.list_batches("__health__", limit=1),
            "blob_store": lambda: blobs.exists("health/probe"),
        },
    )


def create_aws_app() -> FastAPI:
    """The app the ``ApiFunction`` runs (under Mangum)."""
    from receiptflow.api.app import create_app

    return create_app(api_services())


def reset() -> None:
    """Forget every built part (tests, after starting moto or changing settings)."""
    from receiptflow.adapters.aws.clients import clear_clients
    from receiptflow.wiring.providers import clear_provider_cache

    for factory in (
        batch_store,
        blob_store,
        result_cache,
        connection_store,
        socket_poster,
        scanner,
        batch_service,
        folder_ledger,
        folder_timer,
        drop_folders,
        webhook_notifier,
        api_services,
    ):
        factory.cache_clear()
    clear_clients()
    clear_provider_cache()
