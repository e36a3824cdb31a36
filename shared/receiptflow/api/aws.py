"""AWS wiring: DynamoDB, S3 presigned uploads, Step Functions, tenant from the JWT authorizer's claims.

Live events are not served by this app in AWS: API Gateway WebSockets and the ``realtime`` function
speak the same protocol (see docs/api.md); the SSE route answers 501 here.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from receiptflow.api.app import create_app
from receiptflow.api.auth import JwtClaimsAuthenticator
from receiptflow.api.circuits import circuit_reader
from receiptflow.api.ratelimit import RateLimiter
from receiptflow.api.routes.batches import clean_source
from receiptflow.api.schemas import FileSpec, UploadTarget
from receiptflow.api.services import ApiServices
from receiptflow.blob_keys import upload_prefix
from receiptflow.errors import FileReadError
from receiptflow.models import Batch, BatchItem, ItemStatus, ScanError, ScanResult, ScanStatus
from receiptflow.paging import iter_items
from receiptflow.ports import BatchStore, BlobStore
from receiptflow.settings import Settings, get_settings

if TYPE_CHECKING:
    from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
    from receiptflow.adapters.aws.sfn_orchestrator import StepFunctionsOrchestrator

UPLOAD_EXPIRES_SECONDS = 900


class PresignedUploads:
    """One presigned S3 POST per announced file, each pinned to its key, content type and max size.
    The items are registered now, so the batch knows every file it waits for."""

    def __init__(self, store: BatchStore, blobs: S3BlobStore, max_bytes: int) -> None:
        self._store = store
        self._blobs = blobs
        self._max_bytes = max_bytes

    def targets(self, batch: Batch, files_url: str, files: list[FileSpec]) -> list[UploadTarget]:
        items: list[BatchItem] = []
        targets: list[UploadTarget] = []
        for n, spec in enumerate(files, start=1):
            item_id = f"{n:05d}"
            key = upload_prefix(batch.tenant_id, batch.batch_id) + item_id
            source = clean_source(spec.name, f"file-{item_id}")
            post = self._blobs.presigned_post(key, spec.content_type, self._max_bytes, UPLOAD_EXPIRES_SECONDS)
            items.append(BatchItem(batch_id=batch.batch_id, item_id=item_id, source=source, blob_key=key))
            targets.append(
                UploadTarget(
                    url=str(post["url"]),
                    fields={str(k): str(v) for k, v in post["fields"].items()},
                    file_field="file",
                    max_bytes=self._max_bytes,
                    item_id=item_id,
                    key=key,
                    source=source,
                    content_type=spec.content_type,
                    expires_in=UPLOAD_EXPIRES_SECONDS,
                )
            )
        if items:
            self._store.add_items(items)
        return targets


class StepFunctionsControl:
    """Starts/cancels/retries through the Step Functions orchestrator. Announced files that were never
    uploaded become typed ``file_unreadable`` errors at start instead of silently vanishing."""

    def __init__(self, store: BatchStore, blobs: BlobStore, orchestrator: StepFunctionsOrchestrator) -> None:
        self._store = store
        self._blobs = blobs
        self._orchestrator = orchestrator

    def start(self, batch: Batch) -> Batch:
        for item in iter_items(self._store, batch.batch_id, ItemStatus.PENDING):
            if item.blob_key and not self._blobs.exists(item.blob_key):
                self._store.finish_item(batch.batch_id, item.item_id, _never_uploaded(item))
        self._orchestrator.start(self._store.get_batch(batch.tenant_id, batch.batch_id))
        return self._store.get_batch(batch.tenant_id, batch.batch_id)

    def cancel(self, batch: Batch) -> Batch:
        self._orchestrator.cancel(batch)
        return self._store.get_batch(batch.tenant_id, batch.batch_id)

    def retry_failed(self, batch: Batch) -> Batch:
        self._orchestrator.retry_failed(batch)
        return self._store.get_batch(batch.tenant_id, batch.batch_id)


def _never_uploaded(item: BatchItem) -> ScanResult:
    error = FileReadError("the file was announced but never uploaded")
    return ScanResult(
        source=item.source,
        status=ScanStatus.ERROR,
        error=ScanError(code=error.code, message=error.message, retryable=False),
    )


def _lazy_scan(settings: Settings, table_name: str) -> Callable[[bytes, str], ScanResult]:
    @lru_cache(maxsize=1)
    def scanner() -> Any:
        from receiptflow.adapters.aws.dynamo_cache import DynamoResultCache
        from receiptflow.scanning.scanner import Scanner
        from receiptflow.wiring.providers import build_provider

        cache = DynamoResultCache(table_name) if settings.cache_enabled else None
        return Scanner(build_provider(settings.provider, settings), cache, settings)

    def scan(data: bytes, source: str) -> ScanResult:
        result: ScanResult = scanner().process(data, source)
        return result

    return scan


def build_aws_services(settings: Settings) -> ApiServices:
    """Services over the table, bucket and state machine named in ``settings`` (the template's Globals)."""
    from receiptflow.adapters.aws.dynamo_batch_store import DynamoBatchStore
    from receiptflow.adapters.aws.dynamo_breaker_store import DynamoBreakerStore
    from receiptflow.adapters.aws.s3_blob_store import S3BlobStore
    from receiptflow.adapters.aws.sfn_orchestrator import StepFunctionsOrchestrator

    store = DynamoBatchStore(settings.table_name, retention_days=settings.result_retention_days)
    blobs = S3BlobStore(settings.bucket_name)
    publisher = None
    if settings.websocket_endpoint and settings.connections_table_name:
        from receiptflow.adapters.aws.ws_connections import ConnectionStore
        from receiptflow.adapters.aws.ws_publisher import WebSocketPublisher

        publisher = WebSocketPublisher(
            ConnectionStore(settings.connections_table_name), settings.websocket_endpoint
        )
    orchestrator = StepFunctionsOrchestrator(settings=settings, store=store, blobs=blobs, publisher=publisher)
    return ApiServices(
        settings=settings,
        store=store,
        blobs=blobs,
        control=StepFunctionsControl(store, blobs, orchestrator),
        authenticator=JwtClaimsAuthenticator(settings.jwt_tenant_claim),
        uploads=PresignedUploads(store, blobs, settings.max_file_bytes),
        scan=_lazy_scan(settings, settings.table_name),
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        circuit_states=circuit_reader(DynamoBreakerStore(settings.table_name), settings),
        health_checks={
            "batch_store": lambda: store.list_batches("__health__", limit=1),
            "blob_store": lambda: blobs.exists("health/probe"),
        },
    )


def create_aws_app(settings: Settings | None = None) -> FastAPI:
    """The app the ``ApiFunction`` runs (under Mangum)."""
    return create_app(build_aws_services(settings or get_settings()))
