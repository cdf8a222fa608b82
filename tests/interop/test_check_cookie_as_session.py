"""Resource mode accepts only session-shaped tokens (issue 9, defect 6; CVE-2023-48309 pattern).

next-auth before 4.24.5 sealed its OAuth check cookies (state, PKCE verifier, nonce) with the
session key: ``encode({...options.jwt, maxAge: 900, token: {value}})``, salt ``""``. Such a
cookie decrypts as a session token. The tokens here are minted by the real ``next-auth/jwt``
4.24.15 and ``@auth/core/jwt`` 0.41.3 (``node/jwt.mjs``) exactly that way.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from authgate import AuthRequest
from authgate.errors import ConfigurationError
from authgate.integrations.fastapi import token_dependency
from authgate.resource import NextAuthSession
from interop import nextauth_node
from interop.authjs_node import batch

pytestmark = [pytest.mark.interop, pytest.mark.anyio]

SECRET = "interop-check-cookie-secret-7c1d"
V4_COOKIE = "next-auth.session-token"
V5_COOKIE = "authjs.session-token"
SESSION = {"name": "Ada", "email": "ada@example.com", "picture": None, "sub": "42"}


def request(cookie: str | None = None, bearer: str | None = None) -> AuthRequest:
    headers = []
    if cookie is not None:
        headers.append(("cookie", cookie))
    if bearer is not None:
        headers.append(("authorization", f"Bearer {bearer}"))
    return AuthRequest.build(method="GET", path="/api/me", headers=headers)


@pytest.fixture(scope="module")
def v4_check_cookies() -> dict[str, str]:
    """PKCE verifier, state and nonce cookies as next-auth < 4.24.5 sealed them (15 min)."""
    values = {"pkce": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "state": "af0ifjsldkj"}
    values["nonce"] = "n-0S6_WzA2Mj"
    return {
        kind: nextauth_node.encode({"value": value}, SECRET, max_age=900)
        for kind, value in values.items()
    }


@pytest.mark.parametrize("kind", ["pkce", "state", "nonce"])
def test_v4_check_cookie_is_not_a_session(v4_check_cookies: dict[str, str], kind: str) -> None:
    token = v4_check_cookies[kind]
    reader = NextAuthSession(secret=SECRET)
    # It does decrypt under the session key: only its shape tells it apart.
    assert nextauth_node.decode(token, SECRET)["value"]  # type: ignore[index]
    assert reader.read(request(cookie=f"{V4_COOKIE}={token}")) is None
    assert reader.read(request(bearer=token)) is None
    # Even a reader that asks for no particular claim refuses a check-cookie payload.
    assert NextAuthSession(secret=SECRET, required_claims=()).read(request(bearer=token)) is None


def test_v5_check_cookie_payload_is_not_a_session() -> None:
    # @auth/core checks.ts seals {value, provider}; under the session salt it would decrypt.
    answers = batch(
        [
            {
                "op": "encode",
                "profile": "authjs-v5",
                "token": {"value": "verifier-1", "provider": "github"},
                "secret": SECRET,
                "salt": V5_COOKIE,
                "maxAge": 900,
            },
            {
                "op": "encode",
                "profile": "authjs-v5",
                "token": SESSION,
                "secret": SECRET,
                "salt": V5_COOKIE,
            },
        ]
    )
    check, session = answers[0]["jwt"], answers[1]["jwt"]
    reader = NextAuthSession(secret=SECRET, profile="authjs-v5")
    assert reader.read(request(cookie=f"{V5_COOKIE}={check}")) is None
    claims = reader.read(request(cookie=f"{V5_COOKIE}={session}"))
    assert claims is not None
    assert claims["sub"] == "42"


def test_next_auth_session_token_is_accepted() -> None:
    token = nextauth_node.encode(SESSION, SECRET)
    claims = NextAuthSession(secret=SECRET).read(request(cookie=f"{V4_COOKIE}={token}"))
    assert claims is not None
    assert {k: claims[k] for k in SESSION} == SESSION


def test_required_claims() -> None:
    without_sub = nextauth_node.encode({"name": "Ada", "email": "ada@example.com"}, SECRET)
    null_sub = nextauth_node.encode({"name": "Ada", "sub": None}, SECRET)
    with_role = nextauth_node.encode({"sub": "1", "role": "admin"}, SECRET)
    default = NextAuthSession(secret=SECRET)
    assert default.read(request(bearer=without_sub)) is None
    assert default.read(request(bearer=null_sub)) is None
    anything = NextAuthSession(secret=SECRET, required_claims=())
    assert anything.read(request(bearer=without_sub)) is not None
    roles = NextAuthSession(secret=SECRET, required_claims=("sub", "role"))
    assert roles.read(request(bearer=with_role)) is not None
    assert roles.read(request(bearer=nextauth_node.encode(SESSION, SECRET))) is None
    with pytest.raises(ConfigurationError, match="required_claims"):
        NextAuthSession(secret=SECRET, required_claims="sub")


async def test_token_dependency_refuses_a_check_cookie(v4_check_cookies: dict[str, str]) -> None:
    app = FastAPI()
    current = token_dependency(NextAuthSession(secret=SECRET))

    @app.get("/api/me")
    def me(claims: dict[str, Any] = Depends(current)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims.get("sub"), "value": claims.get("value")}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        check = await client.get(
            "/api/me", headers={"cookie": f"{V4_COOKIE}={v4_check_cookies['pkce']}"}
        )
        session = await client.get(
            "/api/me", headers={"cookie": f"{V4_COOKIE}={nextauth_node.encode(SESSION, SECRET)}"}
        )
    assert check.status_code == 401
    assert check.json() == {"detail": "SessionRequired"}
    assert session.status_code == 200
    assert session.json() == {"sub": "42", "value": None}
