"""FastAPI dependencies as ``Annotated`` aliases: services, the caller's tenant, the caller's batch."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Request
from starlette.requests import HTTPConnection

from receiptflow.api.services import ApiServices
from receiptflow.models import Batch


def get_services(conn: HTTPConnection) -> ApiServices:
    """The services ``create_app`` was given."""
    return cast(ApiServices, conn.app.state.services)


Services = Annotated[ApiServices, Depends(get_services)]


def require_tenant(request: Request, services: Services) -> str:
    """Authenticate the caller (``Authorization: Bearer``) and take one token from its rate bucket."""
    tenant = services.authenticator.tenant_for(request)
    services.rate_limiter.check(tenant)
    return tenant


def require_stream_tenant(request: Request, services: Services) -> str:
    """Like ``require_tenant`` but also accepts ``?token=`` (browsers' EventSource cannot set headers)."""
    tenant = services.authenticator.tenant_for(request, allow_query_token=True)
    services.rate_limiter.check(tenant)
    return tenant


Tenant = Annotated[str, Depends(require_tenant)]
# Batch ids are server-made (uuid hex, ``scan-<hash>``): a longer path segment is refused with 422.
BatchId = Annotated[str, Path(min_length=1, max_length=64)]
StreamTenant = Annotated[str, Depends(require_stream_tenant)]


def owned_batch(batch_id: BatchId, tenant: Tenant, services: Services) -> Batch:
    """The caller's batch; another tenant's id raises ``NotFoundError`` exactly like a missing one."""
    return services.batches.get(tenant, batch_id)


def owned_stream_batch(batch_id: BatchId, tenant: StreamTenant, services: Services) -> Batch:
    """``owned_batch`` for the event stream (query-token auth allowed)."""
    return services.batches.get(tenant, batch_id)


OwnedBatch = Annotated[Batch, Depends(owned_batch)]
OwnedStreamBatch = Annotated[Batch, Depends(owned_stream_batch)]
