"""Finalize Batch: the last Lambda step of the batch state machine."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.batches.payloads import BatchRef
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.wiring.aws import batch_service


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Close the batch: status, exports, ``complete`` event, ``BatchCompleted``."""
    outcome = batch_service().finalize(parse(event=event, model=BatchRef))
    logger.info("batch finalized", status=outcome.status.value, counts=outcome.counts.model_dump())
    metrics.add_metric(name="BatchesFinished", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ItemsFailedInBatch", unit=MetricUnit.Count, value=outcome.counts.failed)
    return outcome.model_dump(mode="json")
