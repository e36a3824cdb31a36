"""Run Ended: a batch execution that stopped outside the API (console, ``aws stepfunctions
stop-execution``: ``ABORTED``), ``FAILED`` or ``TIMED_OUT`` must not leave its batch ``running``. An
EventBridge rule on Step Functions' "Execution Status Change" events of the batch state machine calls this
handler, which hands the end to the batch service (``BatchService.run_ended``: cancel semantics for
``ABORTED``, a typed end otherwise). Only the batch's current execution counts, so repeats, an older run's
end and the Distributed Map's child executions change nothing."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError
from receiptflow.batches.payloads import BatchRef
from receiptflow.batches.service import RunEnd
from receiptflow.observability import MetricUnit, logger, metrics, tracer
from receiptflow.wiring.aws import batch_service


class ExecutionDetail(BaseModel):
    """The ``detail`` of a "Step Functions Execution Status Change" event (DescribeExecution's fields)."""

    executionArn: str  # noqa: N815  (the event's own spelling)
    stateMachineArn: str  # noqa: N815
    status: str
    input: str | None = None
    error: str | None = None
    cause: str | None = None


class ExecutionStatusChange(EventBridgeModel):
    """The event, as EventBridge delivers it."""

    detail: ExecutionDetail  # type: ignore[assignment]


def batch_of(detail: ExecutionDetail) -> BatchRef | None:
    """The batch an execution ran (its input), or None when the input is not a batch run's."""
    try:
        return BatchRef.model_validate(json.loads(detail.input or "null"))
    except (ValueError, ValidationError):
        return None


@logger.inject_lambda_context(correlation_id_path="detail.executionArn")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Close the batch of an execution that ended without Finalize."""
    detail = parse(event=event, model=ExecutionStatusChange).detail
    ref = batch_of(detail)
    if ref is None or detail.status not in RunEnd.__members__:
        logger.warning("not a batch run's end", status=detail.status, execution=detail.executionArn)
        return {"batch_id": None, "status": None}
    cause = ": ".join(part for part in (detail.error, detail.cause) if part)
    batch = batch_service().run_ended(
        ref.tenant_id, ref.batch_id, detail.executionArn, RunEnd(detail.status), cause
    )
    logger.set_correlation_id(ref.batch_id)
    logger.info("run ended", execution_status=detail.status, batch_status=batch.status.value)
    metrics.add_metric(name=f"Runs{detail.status.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    return {"batch_id": batch.batch_id, "status": batch.status.value}
