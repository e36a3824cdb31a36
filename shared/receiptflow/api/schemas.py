"""Request and response bodies of the HTTP API (separate from the stored models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_validator

from receiptflow.models import Batch, BatchItem, BatchOptions, ScanResult

# Hard bounds of the schema, checked before any work. Settings may set tighter limits
# (``max_files_per_batch``), never looser ones: no client number sizes an allocation past these.
MAX_FILES_PER_REQUEST = 100_000
MAX_NAME_CHARS = 200


class FileSpec(BaseModel):
    """One file the client is about to upload (used for presigned S3 uploads)."""

    name: str = Field(default="", max_length=255)
    content_type: str = Field(default="image/jpeg", max_length=100)


class BatchCreate(BaseModel):
    """``POST /v1/batches``. Every number and list is bounded here."""

    name: str = Field(default="", max_length=MAX_NAME_CHARS)
    expected_files: int | None = Field(default=None, ge=1, le=MAX_FILES_PER_REQUEST)
    files: list[FileSpec] | None = Field(default=None, max_length=MAX_FILES_PER_REQUEST)
    options: BatchOptions = Field(default_factory=BatchOptions)

    @field_validator("options")
    @classmethod
    def _known_provider(cls, options: BatchOptions) -> BatchOptions:
        from receiptflow.wiring.providers import PROVIDER_NAMES

        if options.provider is not None and options.provider not in PROVIDER_NAMES:
            raise ValueError(f"unknown provider; choose one of {', '.join(PROVIDER_NAMES)}")
        return options

    @property
    def announced(self) -> int:
        """How many files the client announced (by list or by count), without building anything."""
        return len(self.files) if self.files else (self.expected_files or 0)

    def file_specs(self) -> list[FileSpec]:
        """The files announced, by list or by count. Check :attr:`announced` against the limits first."""
        if self.files:
            return list(self.files)
        return [FileSpec() for _ in range(self.expected_files or 0)]


class UploadTarget(BaseModel):
    """Where to send file(s): a multipart POST with ``fields`` plus the file in ``file_field``."""

    method: str = "POST"
    url: str
    fields: dict[str, str] = Field(default_factory=dict)
    file_field: str = "files"
    max_bytes: int
    item_id: str | None = None
    key: str | None = None
    source: str | None = None
    content_type: str | None = None
    expires_in: int | None = None


class BatchView(Batch):
    """A batch with its live figures."""

    elapsed_s: float | None = None
    rate: float | None = Field(default=None, description="items finished per second")
    eta_seconds: float | None = None
    cost_estimate_usd: float = Field(default=0.0, description="spent so far plus projected for pending items")


class BatchCreated(BaseModel):
    """The new batch and where to upload its files."""

    batch: BatchView
    uploads: list[UploadTarget]


class UploadAccepted(BaseModel):
    """Files stored and registered as items."""

    batch: BatchView
    items: list[BatchItem]


class ResultsPage(BaseModel):
    """One page of items; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[BatchItem]
    next_cursor: str | None = None


class ScanResponse(BaseModel):
    """``POST /v1/scan``: the result of one image."""

    result: ScanResult


class ProviderReadiness(BaseModel):
    """Whether a provider is configured here, whether the chain uses it, and why (or why not)."""

    name: str
    configured: bool
    in_chain: bool
    reason: str


class HealthReport(BaseModel):
    """``GET /health``."""

    status: str
    checks: dict[str, str]
    providers: list[ProviderReadiness] = Field(default_factory=list)


class StatsReport(BaseModel):
    """``GET /v1/stats`` for the caller's recent batches."""

    batches: int
    items_done: int
    throughput_per_s: float | None
    cache_hit_rate: float | None
    provider_latency_ms: dict[str, dict[str, float]]
    circuits: dict[str, Any]
    providers: list[ProviderReadiness] = Field(default_factory=list)
