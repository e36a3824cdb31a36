"""Prepare Batch and Finalize Batch: the first and last Lambda steps of the batch state machine."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.workflow.aws import aws_workflow
from receiptflow.workflow.lifecycle import finalize_batch, prepare_batch
from receiptflow.workflow.payloads import BatchRef


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def prepare_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Check the batch can run and mark it running."""
    batch = prepare_batch(aws_workflow(), parse(event=event, model=BatchRef))
    logger.info("batch prepared", total=batch.counts.total, status=batch.status.value)
    metrics.add_metric(name="BatchesStarted", unit=MetricUnit.Count, value=1)
    return {"batch_id": batch.batch_id, "status": batch.status.value, "total": batch.counts.total}


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Close the batch: status, exports, ``complete`` event, ``BatchCompleted``."""
    outcome = finalize_batch(aws_workflow(), parse(event=event, model=BatchRef))
    logger.info("batch finalized", status=outcome.status.value, counts=outcome.counts.model_dump())
    metrics.add_metric(name="BatchesFinished", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ItemsFailedInBatch", unit=MetricUnit.Count, value=outcome.counts.failed)
    return outcome.model_dump(mode="json")
