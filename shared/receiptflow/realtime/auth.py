"""``$connect`` authentication: a Cognito-compatible JWT (RS256, keys from the issuer's JWKS) that names
the caller's tenant in a configurable claim. Browsers cannot set headers on a WebSocket, so the token
comes as ``?token=`` (or an ``Authorization: Bearer`` header from other clients)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import jwt

from receiptflow.errors import UnauthorizedError
from receiptflow.settings import Settings

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 30


class JwtVerifier:
    """Verifies a token's signature, expiry, issuer and audience, and returns its tenant.

    Cognito ID tokens carry the app client id in ``aud``; access tokens carry it in ``client_id`` and
    have no ``aud``, so either is accepted against ``audience``."""

    def __init__(self, *, issuer: str, audience: str, tenant_claim: str, jwks: jwt.PyJWKClient) -> None:
        if not issuer or not audience:
            raise UnauthorizedError("JWT issuer and audience are not configured")
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.tenant_claim = tenant_claim
        self.jwks = jwks

    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims; ``UnauthorizedError`` for any invalid, expired or foreign token."""
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except (jwt.PyJWTError, ValueError) as e:
            raise UnauthorizedError(f"invalid token: {type(e).__name__}") from e
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if self.audience not in audiences:
            raise UnauthorizedError("token is for another audience")
        return claims

    def tenant_of(self, token: str) -> str:
        """The tenant the token's claim names."""
        tenant = self.claims(token).get(self.tenant_claim)
        if not isinstance(tenant, str) or not tenant:
            raise UnauthorizedError(f"token has no {self.tenant_claim} claim")
        return tenant


def jwks_url(settings: Settings) -> str:
    """The JWKS location: ``settings.jwt_jwks_url`` or the issuer's well-known path."""
    return settings.jwt_jwks_url or f"{settings.jwt_issuer.rstrip('/')}/.well-known/jwks.json"


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=5)


def verifier_from_settings(settings: Settings) -> JwtVerifier:
    """A verifier for the configured issuer, audience and tenant claim (one shared, caching JWKS client)."""
    return JwtVerifier(
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        tenant_claim=settings.jwt_tenant_claim,
        jwks=_jwks_client(jwks_url(settings)),
    )


def bearer_token(headers: Mapping[str, str] | None, query: Mapping[str, str] | None) -> str:
    """The token from ``?token=`` or ``Authorization: Bearer``; ``UnauthorizedError`` when absent."""
    if query and query.get("token"):
        return query["token"]
    for name, value in (headers or {}).items():
        if name.lower() == "authorization" and value.lower().startswith("bearer "):
            return value[7:].strip()
    raise UnauthorizedError("no credential: connect with ?token=<JWT> or an Authorization: Bearer header")
