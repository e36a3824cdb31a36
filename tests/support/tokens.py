"""Cognito-style JWTs for tests: one RSA key, its JWKS, and tokens naming a tenant."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.serverless_stack import JWT_AUDIENCE, JWT_ISSUER

KID = "test-key-1"
TENANT_CLAIM = "custom:tenant_id"


@lru_cache(maxsize=1)
def private_key() -> rsa.RSAPrivateKey:
    """The signing key (generated once per test session)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwks() -> dict[str, Any]:
    """The JWKS document the issuer would publish."""
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key().public_key()))
    return {"keys": [{**public, "kid": KID, "use": "sig", "alg": "RS256"}]}


def token(
    tenant: str | None, *, audience: str = JWT_AUDIENCE, issuer: str = JWT_ISSUER, ttl: int = 600
) -> str:
    """An ID token for ``tenant`` (no tenant claim when None)."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": "user-1", "iss": issuer, "aud": audience, "iat": now, "exp": now + ttl}
    if tenant is not None:
        claims[TENANT_CLAIM] = tenant
    return jwt.encode(claims, private_key(), algorithm="RS256", headers={"kid": KID})


def serve_jwks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer PyJWKClient's JWKS download (the one network call) with :func:`jwks`."""
    document = jwks()
    monkeypatch.setattr(jwt.PyJWKClient, "fetch_data", lambda self: document)
