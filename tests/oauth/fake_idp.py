"""A scriptable OpenID provider behind ``httpx.MockTransport``.

It serves discovery, a JWKS, a token endpoint that signs id_tokens with joserfc-generated keys,
and a userinfo endpoint. Tests change its behaviour through attributes (``token_reply``,
``id_token_claims``, ...) and read what it was sent (``token_requests``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://idp.example"
CLIENT_ID = "client-1"
CLIENT_SECRET = "client-secret-0123456789"
SUBJECT = "user-42"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class FakeIdP:
    now: float
    issuer: str = ISSUER
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "k1"}))
    other_key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", {"kid": "k2"}))
    published: list[Any] = field(default_factory=list)
    # What the next token request answers; None: a good answer.
    token_reply: httpx.Response | None = None
    token_exception: Exception | None = None
    id_token_claims: dict[str, Any] = field(default_factory=dict)
    id_token_header: dict[str, Any] = field(default_factory=dict)
    sign_with: Any = None
    userinfo: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": SUBJECT,
            "name": "Ada Lovelace",
            "email": "Ada@Example.com",
            "picture": "https://idp.example/ada.png",
        }
    )
    # Filled in by the test from the authorization URL.
    nonce: str | None = None
    code_challenge: str | None = None
    token_requests: list[httpx.Request] = field(default_factory=list)
    jwks_fetches: int = 0
    calls: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.published:
            self.published = [self.key]

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{ISSUER}/authorize",
            "token_endpoint": f"{ISSUER}/token",
            "userinfo_endpoint": f"{ISSUER}/userinfo",
            "jwks_uri": f"{ISSUER}/jwks",
        }

    def id_token(self) -> str:
        claims = {
            "iss": self.issuer,
            "sub": SUBJECT,
            "aud": CLIENT_ID,
            "iat": int(self.now),
            "exp": int(self.now) + 300,
            "nonce": self.nonce,
        }
        claims.update(self.id_token_claims)
        claims = {k: v for k, v in claims.items() if v is not None}
        key = self.sign_with or self.key
        alg = "ES256" if isinstance(key, ECKey) else "RS256"
        header = {"alg": alg, "kid": key.kid, **self.id_token_header}
        return jwt.encode(header, claims, key, algorithms=[header["alg"]])

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.calls.append(path)
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.discovery())
        if path == "/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json={"keys": [k.as_dict() for k in self.published]})
        if path == "/token":
            self.token_requests.append(request)
            if self.token_exception is not None:
                raise self.token_exception
            if self.token_reply is not None:
                return self.token_reply
            form = parse_qs(request.content.decode())
            verifier = form.get("code_verifier", [""])[0]
            if self.code_challenge is not None and s256(verifier) != self.code_challenge:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(
                200,
                json={
                    "access_token": "at-SECRET-access",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": "rt-SECRET-refresh",
                    "id_token": self.id_token(),
                    "scope": "openid email profile",
                },
            )
        if path == "/userinfo":
            if request.headers.get("authorization") != "Bearer at-SECRET-access":
                return httpx.Response(401, json={"error": "invalid_token"})
            return httpx.Response(200, json=self.userinfo)
        return httpx.Response(404, text="not found")

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


def basic_credentials(request: httpx.Request) -> tuple[str, str]:
    header = request.headers["authorization"]
    assert header.startswith("Basic ")
    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    return user, password


def form_of(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def dumps(value: Any) -> str:
    return json.dumps(value)
