"""Typed settings from ``RECEIPTFLOW_*`` environment variables, read once through ``get_settings()``."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "receiptflow"


class Settings(BaseSettings):
    """Every knob in one place. Env var = ``RECEIPTFLOW_`` + upper-case field name."""

    model_config = SettingsConfigDict(env_prefix="RECEIPTFLOW_", extra="ignore")

    # local state
    data_dir: Path = Field(default_factory=_default_data_dir)

    # intake limits
    max_file_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 120_000_000
    # estimated peak memory of decoding one page (intake.raster.decode_bytes); docs/performance.md
    max_decode_mb: int = Field(default=512, ge=1)
    # objects one PDF page may draw (nested form XObjects counted with what they draw)
    max_pdf_objects: int = Field(default=200_000, ge=1)
    max_pages: int = 10
    min_side_px: int = 16

    # normalisation: longest side of the page image handed to a provider
    max_side_px: int = 2500

    # cache
    cache_enabled: bool = True
    cache_ttl_days: float = 7.0
    result_retention_days: float = 90.0

    # providers
    provider: str = "local"  # local | textract | openai | auto
    provider_order: str = "textract,openai"  # order used by "auto" in AWS
    fallback_confidence: float = 0.5
    race_after_seconds: float | None = None
    provider_deadline_seconds: float = 60.0
    retry_attempts: int = 4
    retry_base_seconds: float = 0.5  # full-jitter exponential backoff: random(0, base * 2**n), capped below
    retry_max_wait_seconds: float = 10.0
    fallback_on_unreadable: bool = False  # ask the next provider when one says the image is unreadable
    fallback_on_throttle: bool = False  # ask the (paid) next provider when one is throttled (backpressure)
    openai_model: str = "gpt-4o-mini"
    openai_secret_name: str | None = None
    openai_max_side_px: int = 1024
    openai_image_detail: str = "low"  # low | high | auto (low = fixed small token cost per image)

    # local OCR engine (docs/performance.md)
    ocr_threads: int = 0  # onnxruntime threads per worker; 0 = the usable cores shared among the workers
    ocr_det_max_side: int = 960  # longest side of the detector's input (small pages are scaled up to it)
    ocr_det_short_side: int = 0  # cap on its shorter side; 0 = none
    ocr_rec_batch_lines: int = 1  # text lines per recognition batch (similar widths batched together)
    ocr_quantized: bool = (
        True  # int8 detector when made (python -m receiptflow.adapters.ocr.model_files make), else fp32
    )

    # circuit breaker
    breaker_failure_threshold: int = 5
    breaker_window_seconds: float = 60.0
    breaker_cooldown_seconds: float = 30.0

    # local runner: scanning worker processes; 0 = one per usable core while each has
    # worker_memory_budget_mb of the available memory (receiptflow.wiring.capacity)
    workers: int = Field(default=0, ge=0)
    worker_memory_budget_mb: int = Field(default=1280, ge=64)
    # per-item limits of a scanning worker (docs/performance.md "Hostile inputs"): its data segment
    # (RLIMIT_DATA, and the pool stops a worker whose data nears it); 0 = no cap
    worker_memory_limit_mb: int = Field(default=1536, ge=0)
    # wall time of one item in a worker (decode, render, OCR, provider calls): the pool stops the worker
    # holding an item past it; 0 = none
    item_timeout_seconds: float = Field(default=120.0, ge=0)
    # Lambda: an item (scan function, POST /v1/scan) stops with ItemTimeoutError this long before the
    # function's own timeout (context.get_remaining_time_in_millis())
    lambda_deadline_margin_seconds: float = Field(default=5.0, ge=0)

    # batches: a "cancelling" batch whose newest running item was claimed longer ago than this is settled
    # as cancelled when next read (its worker died); >= the scan function's timeout (120 s) + a margin
    cancel_grace_seconds: float = 300.0

    # API
    api_keys: str = ""  # "tenantA:keyA,tenantB:keyB"
    api_keys_file: Path | None = None
    max_files_per_batch: int = 10_000
    rate_limit_per_minute: int = 600
    jwt_tenant_claim: str = "custom:tenant_id"  # JWT claim naming the tenant (AWS HTTP API authorizer)
    # Cognito issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<pool>; WebSocket $connect checks it
    jwt_issuer: str = ""
    # the Cognito app client id (checked against `aud`, or `client_id` of access tokens)
    jwt_audience: str = ""
    jwt_jwks_url: str = ""  # defaults to <issuer>/.well-known/jwks.json
    event_queue_size: int = 1000  # events buffered per WebSocket/SSE subscriber before it is dropped
    # signs completion webhooks; empty: `receiptflow serve` keeps a generated one in DATA_DIR/webhook-secret
    webhook_secret: str = ""
    # AWS: where the signing secret is kept (Secrets Manager secret name/ARN, or SSM parameter name "/...")
    webhook_secret_name: str = ""

    # HTTP server (`receiptflow serve`; docs/api.md "Limits and timeouts")
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)  # request line + headers, per request
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)  # longest gap between body bytes
    http_min_body_bytes_per_second: float = Field(default=1024.0, ge=0)  # average, once past the timeout
    http_keepalive_seconds: int = Field(default=5, ge=1)  # idle keep-alive connection
    http_max_connections: int = Field(default=256, ge=1)  # open HTTP connections; more are closed at once
    http_max_header_bytes: int = Field(default=16 * 1024, ge=1024)  # request line + headers
    max_request_bytes: int = Field(default=256 * 1024 * 1024, ge=1)  # one multipart upload request
    max_json_bytes: int = Field(default=1024 * 1024, ge=1)  # any other request body
    ws_max_message_bytes: int = Field(default=64 * 1024, ge=1024)  # one WebSocket message from a client

    # AWS resources (set by the template's Globals)
    bucket_name: str = ""
    table_name: str = ""
    connections_table_name: str = ""
    state_machine_arn: str = ""
    websocket_endpoint: str = ""
    event_bus_name: str = "default"
    # the S3 drop folder (docs/deploy.md): a folder closes this long after its last object; 0 = only _READY
    inbox_quiet_seconds: int = Field(default=60, ge=0, le=900)
    # a folder that never goes quiet (files keep arriving) closes anyway this long after it began; 0 = never
    inbox_max_open_seconds: int = Field(default=900, ge=0)
    inbox_timer_queue_url: str = ""  # the SQS delay queue that carries the quiet-close timers

    @property
    def cache_ttl_seconds(self) -> int:
        """Cache TTL in whole seconds."""
        return int(self.cache_ttl_days * 86400)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings built once per process (tests call ``get_settings.cache_clear()``)."""
    return Settings()
