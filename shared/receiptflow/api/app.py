"""``create_app``: the one FastAPI app, served by uvicorn locally and by Mangum in Lambda."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from receiptflow import __version__
from receiptflow.api.problems import install_problem_handlers
from receiptflow.api.routes import batches, events, health, items, results, scan
from receiptflow.api.services import ApiServices


def create_app(services: ApiServices) -> FastAPI:
    """The API over ``services`` (built by ``receiptflow.wiring.local`` and ``receiptflow.wiring.aws``)."""

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
        description="Batch receipt scanning. Errors are RFC 7807 problem+json with a stable `code`.",
        lifespan=lifespan,
    )
    app.state.services = services
    install_problem_handlers(app)
    for module in (health, batches, items, results, events, scan):
        app.include_router(module.router)
    return app
