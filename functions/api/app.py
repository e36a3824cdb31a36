"""ApiFunction: the receiptflow HTTP API (the same FastAPI app ``receiptflow serve`` runs) under Mangum.

API Gateway's JWT authorizer has validated the caller's token; the app reads the tenant from its claims.
The app and its clients are built on the first invocation and reused while the container is warm.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
from receiptflow.observability import logger, metrics, tracer
from receiptflow.wiring.aws import create_aws_app

# Bodies passed to API Gateway as text (others are base64-encoded): Mangum's defaults plus problem+json.
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]


@lru_cache(maxsize=1)
def asgi_handler() -> Mangum:
    """Mangum over the AWS-wired app (no lifespan: nothing runs in the background in Lambda)."""
    return Mangum(create_aws_app(), lifespan="off", text_mime_types=TEXT_MIME_TYPES)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One HTTP API (payload v2) request."""
    response: dict[str, Any] = asgi_handler()(event, cast(Any, context))  # Mangum's own context type
    return response
