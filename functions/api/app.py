"""ApiFunction: the receiptflow HTTP API (the same FastAPI app ``receiptflow serve`` runs) under Mangum.

API Gateway's JWT authorizer has validated the caller's token; the app reads the tenant from its claims.
The app and its clients are built once per execution environment: with SnapStart (template.yaml) before the
snapshot is taken (``warm``), so a restored environment answers its first request without building them;
elsewhere (tests, ``$LATEST``) on the first request. FastAPI and Mangum are imported there too, not at
module import.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from receiptflow.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from mangum import Mangum


@lru_cache(maxsize=1)
def asgi_handler() -> Mangum:
    """Mangum over the AWS-wired app (no lifespan: nothing runs in the background in Lambda); bodies of
    Mangum's text types and problem+json go to API Gateway as text, others base64-encoded."""
    from mangum import Mangum
    from mangum.adapter import DEFAULT_TEXT_MIME_TYPES
    from receiptflow.wiring.aws import create_aws_app

    text_types = [*DEFAULT_TEXT_MIME_TYPES, "application/problem+json"]
    return Mangum(create_aws_app(), lifespan="off", text_mime_types=text_types)


def warm() -> None:
    """SnapStart's before-snapshot hook: the app, its AWS clients (no connection is opened) and the modules
    ``POST /v1/scan`` needs, so the snapshot holds them. Nothing secret is fetched (the OpenAI key stays
    lazy) and no request is made."""
    from receiptflow.adapters.aws import clients
    from receiptflow.extract import checks  # noqa: F401  (imported for the snapshot)
    from receiptflow.intake import load_document  # noqa: F401

    asgi_handler()
    clients.textract_client()


def restored() -> None:
    """SnapStart's after-restore hook: every restored environment gets its own random state."""
    random.seed()


try:
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:  # not a SnapStart runtime (tests, local): the first request builds what warm() would
    pass
else:
    register_before_snapshot(warm)
    register_after_restore(restored)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One HTTP API (payload v2) request. ``POST /v1/scan`` runs under the invocation's deadline (its
    remaining time less ``settings.lambda_deadline_margin_seconds``): an image that runs out of time
    answers 422 ``resource_limit`` instead of the runtime's timeout."""
    from receiptflow.deadline import deadline_scope, lambda_deadline
    from receiptflow.settings import get_settings

    deadline = lambda_deadline(context, get_settings().lambda_deadline_margin_seconds)
    with deadline_scope(deadline):
        response: dict[str, Any] = asgi_handler()(event, cast(Any, context))  # Mangum's own context type
    return response
