"""The outcome of scanning one image."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from receiptflow.errors import ProviderError, ReceiptflowError
from receiptflow.models.receipt import Receipt


class ScanStatus(StrEnum):
    """Final state of one image."""

    OK = "ok"
    ERROR = "error"
    CANCELLED = "cancelled"


class FallbackOutcome(BaseModel):
    """What one fallback provider did when the chain failed (the reported error is the primary's)."""

    provider: str
    code: str
    message: str = ""
    attempts: int = 0


class ScanError(BaseModel):
    """A typed, per-item error: a stable ``code`` clients can switch on."""

    code: str
    message: str
    retryable: bool = False
    fallbacks: list[FallbackOutcome] = Field(default_factory=list)


class ScanResult(BaseModel):
    """What happened to one input file."""

    source: str
    sha256: str | None = None
    status: ScanStatus
    receipt: Receipt | None = None
    error: ScanError | None = None
    provider: str | None = None
    cached: bool = False
    attempts: int = 0
    duration_ms: float = 0.0
    cost_usd: float = 0.0
    providers_tried: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when a receipt was produced."""
        return self.status is ScanStatus.OK

    def duplicate_for(self, source: str) -> ScanResult:
        """This result answering a duplicate of the same content (``source``): scanned once, so the
        copy is ``cached`` when ok and costs nothing."""
        update = {"source": source, "cached": self.ok, "duration_ms": 0.0, "attempts": 0, "cost_usd": 0.0}
        return self.model_copy(update=update)


def error_result(
    error: BaseException, source: str, sha256: str | None, duration_ms: float = 0.0
) -> ScanResult:
    """The error row for ``error``: its stable code, or ``internal_error`` with the exception type."""
    if isinstance(error, ReceiptflowError):
        scan_error = ScanError(code=error.code, message=error.message, retryable=error.retryable)
    else:
        scan_error = ScanError(code="internal_error", message=f"{type(error).__name__}: {error}")
    result = ScanResult(
        source=source, sha256=sha256, status=ScanStatus.ERROR, error=scan_error, duration_ms=duration_ms
    )
    if isinstance(error, ProviderError):
        # the chain's accounting survives failure: attempts made, providers tried, money spent
        result.provider = error.provider or None
        result.attempts = error.attempts
        result.providers_tried = list(error.providers_tried)
        result.cost_usd = error.cost_usd
        scan_error.fallbacks = [FallbackOutcome.model_validate(f) for f in error.fallbacks]
    return result


def cancelled_result(source: str) -> ScanResult:
    """The result of an item that was claimed for a run but never started because the batch was cancelled."""
    return ScanResult(source=source, status=ScanStatus.CANCELLED)
