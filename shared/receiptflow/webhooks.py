"""Completion webhooks: the signed ``batch.completed`` POST a batch's ``webhook_url`` receives.

Signature (Stripe's scheme): header ``Receiptflow-Signature: t=<unix seconds>,v1=<hex>`` where
``v1 = HMAC-SHA256(secret, f"{t}.{raw body}")``. A receiver recomputes it over the raw body, compares in
constant time and refuses timestamps older than a few minutes (replays). ``Receiptflow-Delivery`` is one id
per completion, the same on every retry, so receivers can drop duplicates. See docs/webhooks.md.

URL rule (the same in both modes): ``https://`` anywhere, ``http://`` only to a loopback host
(``localhost``, ``127.0.0.0/8``, ``[::1]``) for local development; no user:password part.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from receiptflow.models import Batch

SIGNATURE_HEADER = "Receiptflow-Signature"
DELIVERY_HEADER = "Receiptflow-Delivery"
EVENT_TYPE = "batch.completed"
DEFAULT_TOLERANCE_S = 300
SECRET_FILENAME = "webhook-secret"


class WebhookSignatureError(ValueError):
    """The signature header is missing, malformed, stale or does not match."""


def check_webhook_url(url: str) -> str:
    """``url`` when it is an acceptable webhook target; ``ValueError`` saying why not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise ValueError("webhook_url must be an absolute https:// URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("webhook_url must not carry a user name or password")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError("webhook_url must use https:// (http:// is allowed only to localhost)")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Receiptflow-Signature`` header value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance_s: int = DEFAULT_TOLERANCE_S, now: float | None = None
) -> int:
    """Check a received signature; returns its timestamp, raises ``WebhookSignatureError`` otherwise."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError) as e:
        raise WebhookSignatureError("no timestamp in the signature header") from e
    if abs((time.time() if now is None else now) - timestamp) > tolerance_s:
        raise WebhookSignatureError("the signature's timestamp is outside the tolerance")
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    if not any(hmac.compare_digest(expected, candidate) for candidate in fields.get("v1", [])):
        raise WebhookSignatureError("the signature does not match")
    return timestamp


def completion_payload(batch: Batch, delivery_id: str) -> bytes:
    """The JSON body announcing that ``batch`` finished."""
    duration = (
        (batch.finished_at - batch.started_at).total_seconds()
        if batch.finished_at and batch.started_at
        else None
    )
    data: dict[str, Any] = {
        "type": EVENT_TYPE,
        "delivery_id": delivery_id,
        "batch_id": batch.batch_id,
        "name": batch.name,
        "status": batch.status.value,
        "counts": batch.counts.model_dump(),
        "created_at": batch.created_at.isoformat(),
        "finished_at": batch.finished_at.isoformat() if batch.finished_at else None,
        "duration_s": round(duration, 3) if duration is not None else None,
        "cost_usd": batch.cost_usd,
        "results": f"/v1/batches/{batch.batch_id}/results",
    }
    return json.dumps(data, separators=(",", ":"), sort_keys=True).encode()


def load_or_create_secret(path: Path) -> str:
    """The server's webhook secret kept in ``path`` (created once, readable by the owner only)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = "whsec_" + secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(secret + "\n", encoding="utf-8")
    return secret
