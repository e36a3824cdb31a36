"""Scan Image and Record Failure: the per-item Lambda steps of the batch state machine.

``handler`` lets typed errors (``ProviderThrottledError``, ``CorruptImageError``, ...) escape unchanged:
the Lambda runtime reports the exception's class name as ``errorType``, which is what the state
machine's Retry and Catch match. Record Failure (``functions/record_failure``) is the Catch target.
The scan runs under a deadline: the invocation's remaining time less
``settings.lambda_deadline_margin_seconds`` (``receiptflow.deadline``), checked before decoding, between
pages and before each provider attempt, so an item that runs out of time ends as ``ItemTimeoutError``
(``resource_limit``) instead of the runtime's timeout.

The batch service (stores, publisher, provider chain) and the intake and extraction modules load once per
execution environment: with SnapStart (ScanImageFunction, template.yaml) before the snapshot (``warm``), so
a restored environment scans at once; elsewhere on the first invocation. Not at module import."""

from __future__ import annotations

import random
from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.observability import MetricUnit, logger, metrics, tracer


def warm() -> None:
    """SnapStart's before-snapshot hook: the batch service with its AWS clients and the scanner for the
    default provider (no connection opened, no secret fetched), and the modules a scan imports first."""
    from receiptflow.adapters.aws import clients
    from receiptflow.extract import checks  # noqa: F401  (imported for the snapshot)
    from receiptflow.intake import load_document  # noqa: F401
    from receiptflow.wiring.aws import batch_service, scanner

    batch_service()
    scanner(None)
    clients.textract_client()


def restored() -> None:
    """SnapStart's after-restore hook: every restored environment gets its own random state."""
    random.seed()


try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not a SnapStart runtime (tests, local): the first invocation loads what warm() would
    pass
else:
    register_before_snapshot(warm)
    register_after_restore(restored)


@logger.inject_lambda_context(correlation_id_path="batch_id")
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Scan one item of a batch, stopping with ``ItemTimeoutError`` (a ``resource_limit`` row, never
    retried by the state machine) before the function's own timeout."""
    from receiptflow.batches.payloads import ItemRef
    from receiptflow.deadline import deadline_scope, lambda_deadline
    from receiptflow.settings import get_settings
    from receiptflow.wiring.aws import batch_service

    ref = ItemRef.model_validate(event)  # our own payload model: plain pydantic, no parser envelope
    deadline = lambda_deadline(context, get_settings().lambda_deadline_margin_seconds)
    try:
        with deadline_scope(deadline):
            outcome = batch_service().scan_item(ref)
    except Exception as e:  # counted, then re-raised unchanged: Retry/Catch match the class name
        metrics.add_metadata(key="error_type", value=type(e).__name__)
        metrics.add_metric(name="ScanErrors", unit=MetricUnit.Count, value=1)
        raise
    logger.info("item scanned", item_id=ref.item_id, recorded=outcome.recorded, status=outcome.status)
    metrics.add_metric(name="ItemsScanned", unit=MetricUnit.Count, value=1 if outcome.recorded else 0)
    return asdict(outcome)
