"""Who is calling: API keys mapped to tenants locally, JWT claims from API Gateway in AWS."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from starlette.requests import HTTPConnection

from receiptflow.errors import InvalidRequestError, UnauthorizedError
from receiptflow.settings import Settings


class Authenticator(Protocol):
    """Resolves the caller's tenant from a request or WebSocket handshake."""

    def tenant_for(self, conn: HTTPConnection, *, allow_query_token: bool = False) -> str:
        """The caller's tenant id; ``UnauthorizedError`` when there is no valid credential."""
        ...


def parse_api_keys(text: str) -> dict[str, str]:
    """``"tenantA:keyA,tenantB:keyB"`` (commas or newlines; ``#`` comments) → ``{key: tenant}``."""
    keys: dict[str, str] = {}
    for raw in text.replace(",", "\n").splitlines():
        entry = raw.split("#", 1)[0].strip()
        if not entry:
            continue
        tenant, sep, key = entry.partition(":")
        tenant, key = tenant.strip(), key.strip()
        if not sep or not tenant or not key:
            raise InvalidRequestError(f"API key entries look like tenant:key, got {entry.split(':')[0]!r}:…")
        keys[key] = tenant
    return keys


def load_api_keys(settings: Settings) -> dict[str, str]:
    """Keys from ``RECEIPTFLOW_API_KEYS`` plus ``settings.api_keys_file`` (same format, one per line)."""
    keys = parse_api_keys(settings.api_keys)
    if settings.api_keys_file is not None:
        keys.update(parse_api_keys(Path(settings.api_keys_file).read_text(encoding="utf-8")))
    return keys


# A browser's WebSocket cannot set headers, but it can offer subprotocols:
# ``new WebSocket(url, ["receiptflow.bearer", key])``. The server accepts with this name only, so the
# key is never echoed back.
WS_BEARER_PROTOCOL = "receiptflow.bearer"


def offered_protocols(conn: HTTPConnection) -> list[str]:
    """The subprotocols a WebSocket handshake offers (``Sec-WebSocket-Protocol``, in order)."""
    values = conn.headers.getlist("sec-websocket-protocol")
    return [p.strip() for value in values for p in value.split(",") if p.strip()]


def bearer_token(conn: HTTPConnection, *, allow_query_token: bool) -> str | None:
    """The caller's key: ``Authorization: Bearer``; on a WebSocket also the subprotocol pair
    ``receiptflow.bearer, <key>``; where allowed (SSE, WebSocket) ``?token=`` as a last resort."""
    header = conn.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if conn.scope.get("type") == "websocket":
        protocols = offered_protocols(conn)
        if WS_BEARER_PROTOCOL in protocols:
            at = protocols.index(WS_BEARER_PROTOCOL) + 1
            return protocols[at] if at < len(protocols) else None
    if allow_query_token:
        return conn.query_params.get("token") or None
    return None


class ApiKeyAuthenticator:
    """Local mode: a bearer API key names the tenant. Keys compare in constant time."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        self._keys = dict(keys)

    @property
    def tenants(self) -> set[str]:
        """Every tenant that has a key."""
        return set(self._keys.values())

    def tenant_for(self, conn: HTTPConnection, *, allow_query_token: bool = False) -> str:
        token = bearer_token(conn, allow_query_token=allow_query_token)
        if token is None:
            raise UnauthorizedError("missing credential: send Authorization: Bearer <api key>")
        found: str | None = None
        for key, tenant in self._keys.items():
            if hmac.compare_digest(key.encode(), token.encode()):
                found = tenant
        if found is None:
            raise UnauthorizedError("unknown API key")
        return found


class JwtClaimsAuthenticator:
    """AWS mode: API Gateway's JWT authorizer already validated the token; read the tenant claim
    from ``requestContext.authorizer.jwt.claims`` of the HTTP API v2 event Mangum puts in the scope."""

    def __init__(self, tenant_claim: str) -> None:
        self._claim = tenant_claim

    def tenant_for(self, conn: HTTPConnection, *, allow_query_token: bool = False) -> str:
        event: Any = conn.scope.get("aws.event") or {}
        claims: Any = event.get("requestContext", {}).get("authorizer", {}).get("jwt", {}).get("claims", {})
        tenant = claims.get(self._claim) if isinstance(claims, dict) else None
        if not isinstance(tenant, str) or not tenant:
            raise UnauthorizedError(f"token has no {self._claim!r} claim")
        return tenant
