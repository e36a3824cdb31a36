"""RFC 7807 problem responses: one registry maps domain errors (``errors.py``) to HTTP statuses."""

from __future__ import annotations

import math
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from receiptflow import errors

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Most specific first is not required: lookup walks the exception's MRO, so a subclass listed here wins
# over its base, and an unlisted subclass inherits its nearest listed base's status.
STATUS_BY_ERROR: dict[type[errors.ReceiptflowError], int] = {
    errors.ReceiptflowError: 500,
    errors.NotFoundError: 404,
    errors.ConflictError: 409,
    errors.ScanCancelledError: 409,
    errors.WorkerCrashedError: 500,
    errors.InvalidRequestError: 400,
    errors.InvalidKeyError: 400,
    errors.UnauthorizedError: 401,
    errors.LimitExceededError: 422,
    errors.RateLimitedError: 429,
    errors.StoreUnavailableError: 503,
    errors.IntakeError: 422,
    errors.TooLargeError: 413,
    errors.ProviderError: 502,
    errors.UnreadableDocumentError: 422,
    errors.ProviderThrottledError: 503,
    errors.ProviderUnavailableError: 503,
    errors.ProviderTimeoutError: 504,
    errors.ProviderConfigError: 503,
}

_CODE_BY_HTTP_STATUS = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    501: "not_available",
}


def status_for(exc: errors.ReceiptflowError) -> int:
    """The HTTP status registered for ``exc``'s class or its nearest registered base."""
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """A problem+json response with a stable ``code``."""
    body: dict[str, Any] = {
        "type": f"urn:receiptflow:problem:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "code": code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_body(exc: errors.ReceiptflowError) -> dict[str, Any]:
    """The JSON body (without transport) for ``exc``; the WebSocket sends it as a ``problem`` message."""
    return {"code": exc.code, "status": status_for(exc), "detail": exc.message, "retryable": exc.retryable}


def _headers_for(exc: errors.ReceiptflowError) -> dict[str, str]:
    if isinstance(exc, errors.RateLimitedError):
        return {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    if isinstance(exc, errors.UnauthorizedError):
        return {"WWW-Authenticate": "Bearer"}
    return {}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.ReceiptflowError)
    return problem(
        status_for(exc),
        exc.code,
        exc.message,
        instance=request.url.path,
        headers=_headers_for(exc) or None,
        retryable=exc.retryable,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = [
        {"loc": list(err.get("loc", ())), "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]
    return problem(
        422, "invalid_request", "request validation failed", instance=request.url.path, errors=details
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_HTTP_STATUS.get(exc.status_code, "http_error")
    return problem(
        exc.status_code,
        code,
        str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}) or None,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    return problem(500, "internal_error", type(exc).__name__, instance=request.url.path)


def install_problem_handlers(app: FastAPI) -> None:
    """Register the app-wide handlers; routes raise domain errors and never catch broadly themselves."""
    app.add_exception_handler(errors.ReceiptflowError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


# --- OpenAPI -------------------------------------------------------------------------------------
class ProblemDetails(BaseModel):
    """An RFC 7807 problem; switch on ``code``."""

    type: str = Field(examples=["urn:receiptflow:problem:not_found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    code: str = Field(description="stable error code", examples=["not_found"])
    detail: str = Field(examples=["batch 3f2a… not found"])
    instance: str | None = Field(default=None, examples=["/v1/batches/3f2a…"])
    retryable: bool | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="request validation: one entry per failed field (loc, msg, type)"
    )


# Statuses each operation produces besides the generic ones (401/429 on authenticated routes, 404 on
# routes naming a batch, 422 on routes that take parameters or a body): see ``problem_statuses``.
_EXTRA_STATUSES: dict[str, tuple[int, ...]] = {
    "POST /v1/batches": (422,),
    "POST /v1/batches/{batch_id}/files": (409, 413, 422),
    "POST /v1/batches/{batch_id}/start": (400, 409),
    "DELETE /v1/batches/{batch_id}": (409,),
    "POST /v1/batches/{batch_id}/retry-failed": (400, 409),
    "GET /v1/batches/{batch_id}/results": (400,),
    "GET /v1/batches/{batch_id}/events": (400, 501),
    "PATCH /v1/batches/{batch_id}/items/{item_id}": (400, 409),
    "POST /v1/batches/{batch_id}/items/{item_id}/accept": (409,),
    "GET /v1/batches/{batch_id}/items/{item_id}/thumbnail": (422,),
    "GET /v1/batches/{batch_id}/items/{item_id}/pages/{page}": (422,),
    "POST /v1/scan": (413, 422, 502, 503, 504),
    "GET /health": (503,),
}
_STATUS_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}},
    429: {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
}


def problem_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The problem statuses the operation ``method path`` can answer."""
    statuses: set[int] = set(_EXTRA_STATUSES.get(f"{method.upper()} {path}", ()))
    if path.startswith("/v1/"):
        statuses |= {401, 429}
    if "{batch_id}" in path:
        statuses.add(404)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    return sorted(statuses)


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare ``application/problem+json`` (schema ``Problem``) on every operation for the statuses it
    produces, replacing FastAPI's default 422 body, which this API never sends."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in problem_statuses(method, path, operation):
                response: dict[str, Any] = {
                    "description": HTTPStatus(status).phrase,
                    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
                if status in _STATUS_HEADERS:
                    response["headers"] = _STATUS_HEADERS[status]
                responses[str(status)] = response
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
