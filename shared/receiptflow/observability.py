"""Powertools observability shared by every Lambda handler: one ``logger``, ``tracer`` and ``metrics``.

Service name, namespace and log level come from the template's ``POWERTOOLS_*`` environment variables.
Handlers decorate themselves with ``logger.inject_lambda_context(correlation_id_path=...)``,
``tracer.capture_lambda_handler`` and ``metrics.log_metrics``; log key/value pairs, never the event.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

NAMESPACE = "Receiptflow"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=NAMESPACE)

__all__ = ["NAMESPACE", "MetricUnit", "logger", "metrics", "tracer"]
