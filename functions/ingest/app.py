"""S3 drop folder → batch: EventBridge "Object Created" events for ``inbox/<tenant>/<folder>/…``.

The batching rule lives in :mod:`receiptflow.batches.ingest` (a ``_READY`` marker closes a folder)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AliasChoices, BaseModel, Field
from receiptflow.batches.ingest import IngestResult, ObjectCreated, ingest_object
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.wiring.aws import batch_service, blob_store


class _InboxObject(BaseModel):
    key: str
    size: int | None = None
    etag: str | None = Field(default=None, validation_alias=AliasChoices("etag", "eTag"))
    sequencer: str | None = None
    version_id: str | None = Field(default=None, alias="version-id")


class _InboxDetail(BaseModel):
    bucket: dict[str, str]
    object: _InboxObject


class InboxObjectCreatedEvent(S3EventNotificationEventBridgeModel):
    """Powertools' S3-via-EventBridge model, tolerant of a missing ETag (some emulators spell it ``eTag``)."""

    detail: _InboxDetail  # type: ignore[assignment]


def to_object_created(event: InboxObjectCreatedEvent) -> ObjectCreated:
    """The core's view of the event (keys arrive URL-encoded, like S3 notifications)."""
    obj = event.detail.object
    return ObjectCreated(
        bucket=event.detail.bucket["name"],
        key=unquote_plus(obj.key),
        size=obj.size,
        etag=obj.etag,
        sequencer=obj.sequencer,
        version_id=obj.version_id,
    )


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Apply the batching rule to one object event."""
    created = to_object_created(parse(event=event, model=InboxObjectCreatedEvent))
    outcome = ingest_object(batch_service(), blob_store(), created)
    if outcome.batch_id:
        logger.set_correlation_id(outcome.batch_id)
    logger.info("inbox event", key=created.key, result=outcome.result.value, reason=outcome.reason)
    if outcome.result is IngestResult.STARTED:
        metrics.add_metric(name="InboxBatchesStarted", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="InboxEvents", unit=MetricUnit.Count, value=1)
    return {
        "result": outcome.result.value,
        "reason": outcome.reason,
        "batch_id": outcome.batch_id,
        "items": outcome.items,
        "execution": outcome.execution,
    }
