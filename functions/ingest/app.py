"""S3 drop folder → batch. Two event sources, one rule (:mod:`receiptflow.batches.ingest`):

- EventBridge "Object Created" events for ``inbox/<tenant>/<folder>/…``: a ``_READY`` marker closes the
  folder at once; any other object sets the folder's quiet-close timer;
- the timer queue (SQS, ``{"Records": [...]}``): a tick closes its folder unless a later object superseded
  it. Each failed tick is reported on its own (``batchItemFailures``), so only it is retried."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import S3EventNotificationEventBridgeModel, SqsModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AliasChoices, BaseModel, Field
from receiptflow.batches.ingest import NEVER_QUIET, IngestOutcome, IngestResult, ObjectCreated
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.ports import FolderTick
from receiptflow.wiring.aws import drop_folders


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


def _answer(outcome: IngestOutcome) -> dict[str, Any]:
    if outcome.result is IngestResult.STARTED:
        metrics.add_metric(name="InboxBatchesStarted", unit=MetricUnit.Count, value=1)
    return {
        "result": outcome.result.value,
        "reason": outcome.reason,
        "batch_id": outcome.batch_id,
        "items": outcome.items,
        "execution": outcome.execution,
    }


def on_object(event: dict[str, Any]) -> dict[str, Any]:
    """One "Object Created" event."""
    created = to_object_created(parse(event=event, model=InboxObjectCreatedEvent))
    outcome = drop_folders().on_object(created)
    if outcome.batch_id:
        logger.set_correlation_id(outcome.batch_id)
    logger.info("inbox event", key=created.key, result=outcome.result.value, reason=outcome.reason)
    metrics.add_metric(name="InboxEvents", unit=MetricUnit.Count, value=1)
    return _answer(outcome)


def on_timers(event: dict[str, Any]) -> dict[str, Any]:
    """A batch of quiet-close ticks from the timer queue; the failed ones are handed back to SQS."""
    failures: list[dict[str, str]] = []
    closed: list[dict[str, Any]] = []
    for record in parse(event=event, model=SqsModel).Records:
        try:
            tick = FolderTick.from_json(str(record.body))
            outcome = drop_folders().on_tick(tick)
        except Exception:  # retried by SQS, then dead-lettered (which alarms): never dropped silently
            logger.exception("folder timer failed", message_id=record.messageId)
            metrics.add_metric(name="InboxTimerErrors", unit=MetricUnit.Count, value=1)
            failures.append({"itemIdentifier": record.messageId})
            continue
        if outcome.reason.startswith(NEVER_QUIET):
            logger.warning("drop folder never went quiet", tenant_id=tick.tenant_id, folder=tick.folder)
            metrics.add_metric(name="InboxFoldersNeverQuiet", unit=MetricUnit.Count, value=1)
        logger.info(
            "folder timer",
            tenant_id=tick.tenant_id,
            folder=tick.folder,
            result=outcome.result.value,
            batch_id=outcome.batch_id,
        )
        closed.append(_answer(outcome))
    return {"batchItemFailures": failures, "outcomes": closed}


@logger.inject_lambda_context(correlation_id_path="id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """An object event (EventBridge) or a batch of timer ticks (SQS)."""
    return on_timers(event) if "Records" in event else on_object(event)
