"""``GET /health`` (no auth: checks the stores, says which providers are usable) and ``GET /v1/stats``."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from receiptflow.api.deps import Services, Tenant
from receiptflow.api.problems import problem
from receiptflow.api.schemas import HealthReport, ProviderReadiness, StatsReport
from receiptflow.api.services import ApiServices
from receiptflow.api.views import batch_throughput, provider_latency
from receiptflow.errors import ReceiptflowError
from receiptflow.models import BatchItem

router = APIRouter(tags=["health"])

_STATS_BATCHES = 20
_LATENCY_ITEMS = 200


def providers(services: ApiServices) -> list[ProviderReadiness]:
    """Which providers are configured here, which the chain uses, and why not the others."""
    return [ProviderReadiness.model_validate(r) for r in services.provider_readiness()]


@router.get("/health", response_model=HealthReport, responses={503: {"description": "a store is down"}})
def health(services: Services) -> HealthReport | JSONResponse:
    """Each store answers a cheap read (503 problem when one does not), and the providers' readiness."""
    checks: dict[str, str] = {}
    for name, check in services.health_checks.items():
        try:
            check()
            checks[name] = "ok"
        except (ReceiptflowError, OSError) as e:
            checks[name] = f"error: {type(e).__name__}"
    readiness = providers(services)
    if all(v == "ok" for v in checks.values()):
        return HealthReport(status="ok", checks=checks, providers=readiness)
    return problem(
        503,
        "store_unavailable",
        "a store did not answer",
        checks=checks,
        providers=[r.model_dump() for r in readiness],
    )


@router.get("/v1/stats", tags=["stats"])
def stats(tenant: Tenant, services: Services) -> StatsReport:
    """Throughput and cache hit rate over the caller's recent batches, provider latency over their
    latest items, and the providers' circuit states."""
    batches = services.store.list_batches(tenant, limit=_STATS_BATCHES)
    done, rate, hit_rate = batch_throughput(batches)
    items: list[BatchItem] = []
    for batch in batches:
        if len(items) >= _LATENCY_ITEMS:
            break
        items.extend(services.store.list_items(batch.batch_id, limit=_LATENCY_ITEMS - len(items)))
    return StatsReport(
        batches=len(batches),
        items_done=done,
        throughput_per_s=rate,
        cache_hit_rate=hit_rate,
        provider_latency_ms=provider_latency(items),
        circuits=services.circuit_states(),
        providers=providers(services),
    )
