"""The outcome of scanning one image."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

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
