"""Webhook: the signed ``batch.completed`` POST of a batch that has a ``webhook_url`` (docs/webhooks.md).

An EventBridge rule on ``BatchCompleted`` events (source ``receiptflow``) whose ``detail.webhook`` is true
invokes this handler, which reads the batch and delivers with ``WebhookNotifier.deliver`` (signed, retried
with backoff). When the receiver could not be reached or kept answering 408/429/5xx the handler fails, so
the asynchronous invocation is retried (twice, minutes apart) and then sent to the dead-letter queue, which
alarms; a receiver that refused (any other 4xx) is not asked again. Every attempt of one completion carries
the same ``Receiptflow-Delivery`` id."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel
from receiptflow.adapters.webhook_notifier import deliver_completed_event
from receiptflow.batches.payloads import BatchRef
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.wiring.aws import batch_store, webhook_notifier


class WebhookNotDeliveredError(Exception):
    """The receiver could not be reached or asked to be retried; the invocation is retried."""


class BatchCompletedEvent(BaseModel):
    """``BatchCompleted`` as EventBridge delivers it. Only the batch reference is read (the batch itself
    comes from the table), so the envelope's other fields are not required (emulators leave some out)."""

    detail: BatchRef


@logger.inject_lambda_context(correlation_id_path="detail.batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Deliver one batch's completion webhook."""
    ref = parse(event=event, model=BatchCompletedEvent).detail
    delivery = deliver_completed_event(ref.model_dump(), batch_store(), webhook_notifier())
    logger.info(
        "webhook",
        delivery_id=delivery.delivery_id,
        delivered=delivery.delivered,
        attempts=delivery.attempts,
        http_status=delivery.status,
        error=delivery.error,
    )
    metrics.add_metric(
        name="WebhooksDelivered" if delivery.delivered else "WebhooksFailed", unit=MetricUnit.Count, value=1
    )
    if not delivery.delivered and delivery.retryable:
        raise WebhookNotDeliveredError(
            f"webhook of batch {ref.batch_id} not delivered after {delivery.attempts} attempts: "
            f"{delivery.error or delivery.status}"
        )
    return {
        "batch_id": ref.batch_id,
        "delivery_id": delivery.delivery_id,
        "delivered": delivery.delivered,
        "attempts": delivery.attempts,
        "status": delivery.status,
    }
