"""``create_app``: the one FastAPI app, served by uvicorn locally and by Mangum in Lambda."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from receiptflow import __version__
from receiptflow.api.problems import document_problems, install_problem_handlers
from receiptflow.api.routes import batches, events, health, images, items, results, scan
from receiptflow.api.services import ApiServices

SECURITY_SCHEME = "bearer"
_PUBLIC_PATHS = frozenset({"/health"})
# The web app talks to this API or to another base URL the user sets (the AWS API): connect-src allows
# any http(s)/ws(s) origin; everything else comes from this origin only.
WEB_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self' http: https: ws: wss:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def web_root() -> Path:
    """The folder of the static web app shipped inside the package."""
    return Path(str(files("receiptflow") / "web"))


class WebFiles(StaticFiles):
    """The static web app, with a strict Content-Security-Policy and revalidated on every load."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(WEB_HEADERS)
        return response


def create_app(services: ApiServices) -> FastAPI:
    """The API over ``services`` (built by ``receiptflow.wiring.local`` and ``receiptflow.wiring.aws``), with
    the web app at ``/``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in services.on_startup:
            await run_in_threadpool(hook)
        try:
            yield
        finally:
            for hook in services.on_shutdown:
                await run_in_threadpool(hook)

    app = FastAPI(
        title="receiptflow",
        version=__version__,
        description="Batch receipt scanning. Errors are RFC 7807 problem+json with a stable `code`. "
        "Authenticate with `Authorization: Bearer <API key or ID token>`. The real-time messages "
        "(WebSocket `/v1/ws`, SSE) are described by `docs/events.schema.json`.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)
    for module in (health, batches, items, images, results, events, scan):
        app.include_router(module.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = api_schema(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount("/", WebFiles(directory=web_root(), html=True), name="web")
    return app


def api_schema(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with the bearer security scheme (Swagger UI's Authorize), problem+json responses and
    ``Location`` on 201 answers."""
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "http",
            "scheme": "bearer",
            "description": "locally an API key (RECEIPTFLOW_API_KEYS); in AWS a Cognito ID token",
        }
    }
    schema["security"] = [{SECURITY_SCHEME: []}]
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if path in _PUBLIC_PATHS:
                operation["security"] = []
            created = operation.get("responses", {}).get("201")
            if created is not None:
                created["headers"] = {
                    "Location": {"description": "URL of the created resource", "schema": {"type": "string"}}
                }
    return document_problems(schema)
