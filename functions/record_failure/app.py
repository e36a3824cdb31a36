"""Record Failure: the Catch target of Scan Image. Stores the typed error caught for one item, so one bad
image never fails the batch."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.observability import MetricUnit, logger, metrics, tracer


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Store the typed error caught for one item."""
    from receiptflow.batches.payloads import FailedItem
    from receiptflow.wiring.aws import batch_service

    failed = FailedItem.model_validate(event)
    outcome = batch_service().record_failure(failed)
    logger.info("item failed", item_id=failed.item_id, error=failed.error.error, code=outcome.code)
    metrics.add_metric(name="ItemsFailed", unit=MetricUnit.Count, value=1 if outcome.recorded else 0)
    return asdict(outcome)
