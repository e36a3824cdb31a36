"""Scan Image: the per-item Lambda step of the batch state machine.

``handler`` lets typed errors (``ProviderThrottledError``, ``CorruptImageError``, ...) escape unchanged:
the Lambda runtime reports the exception's class name as ``errorType``, which is what the state
machine's Retry and Catch match. Record Failure (``functions/record_failure``) is the Catch target."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.batches.payloads import ItemRef
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.wiring.aws import batch_service


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Scan one item of a batch."""
    ref = ItemRef.model_validate(event)  # our own payload model: plain pydantic, no parser envelope
    try:
        outcome = batch_service().scan_item(ref)
    except Exception as e:  # counted, then re-raised unchanged: Retry/Catch match the class name
        metrics.add_metadata(key="error_type", value=type(e).__name__)
        metrics.add_metric(name="ScanErrors", unit=MetricUnit.Count, value=1)
        raise
    logger.info("item scanned", item_id=ref.item_id, recorded=outcome.recorded, status=outcome.status)
    metrics.add_metric(name="ItemsScanned", unit=MetricUnit.Count, value=1 if outcome.recorded else 0)
    return asdict(outcome)
