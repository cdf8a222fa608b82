"""Resource-server mode: ``NextAuthSession`` and its FastAPI / Starlette integrations.

Tokens here are minted by authgate; tests/interop/test_authjs_tokens.py mints them with the
real next-auth and @auth/core packages.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from authgate import AuthRequest
from authgate import jwt as authjwt
from authgate.errors import ConfigurationError, MissingSecretError
from authgate.integrations.fastapi import optional_token_dependency, token_dependency
from authgate.integrations.starlette import TokenMiddleware
from authgate.resource import NextAuthSession

pytestmark = pytest.mark.anyio

SECRET = "resource-secret-0123456789abcdef"
CLAIMS = {"sub": "7", "name": "Ada", "email": "ada@example.com", "role": "admin"}


def v4(claims: dict[str, Any] = CLAIMS, secret: str = SECRET) -> str:
    return authjwt.encode(claims, secret)


def v5(claims: dict[str, Any] = CLAIMS, name: str = "authjs.session-token", **kw: Any) -> str:
    return authjwt.encode(claims, kw.get("secret", SECRET), salt=name, profile="authjs-v5")


def request(cookies: dict[str, str] | None = None, **headers: str) -> AuthRequest:
    pairs = [(k.replace("_", "-"), v) for k, v in headers.items()]
    if cookies:
        pairs.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    return AuthRequest.build(method="GET", path="/api/x", headers=pairs)


def subset(claims: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if claims is None else {k: claims[k] for k in CLAIMS}


@pytest.mark.parametrize(
    ("profile", "name", "mint"),
    [
        ("nextauth-v4", "next-auth.session-token", lambda n: v4()),
        ("nextauth-v4", "__Secure-next-auth.session-token", lambda n: v4()),
        ("authjs-v5", "authjs.session-token", lambda n: v5(name=n)),
        ("authjs-v5", "__Secure-authjs.session-token", lambda n: v5(name=n)),
    ],
)
def test_reads_plain_and_secure_cookies(profile: Any, name: str, mint: Any) -> None:
    reader = NextAuthSession(secret=SECRET, profile=profile)
    assert subset(reader.read(request({name: mint(name)}))) == CLAIMS
    secure = name.startswith("__Secure-")
    only_other = NextAuthSession(secret=SECRET, profile=profile, secure_cookie=not secure)
    assert only_other.read(request({name: mint(name)})) is None


def test_v5_salt_ties_a_token_to_its_cookie_name() -> None:
    reader = NextAuthSession(secret=SECRET, profile="authjs-v5")
    plain_token = v5(name="authjs.session-token")
    assert reader.read(request({"__Secure-authjs.session-token": plain_token})) is None
    # A check cookie (state/PKCE/nonce) is never a session.
    state = v5({"value": "x", "sub": "7"}, name="authjs.state")
    assert reader.read(request({"authjs.session-token": state})) is None


def test_chunked_cookies_and_empty_chunks() -> None:
    token = v5({**CLAIMS, "blob": "y" * 5000})
    parts = {f"authjs.session-token.{i}": token[i * 3936 : (i + 1) * 3936] for i in range(2)}
    assert len("".join(parts.values())) == len(token)
    reader = NextAuthSession(secret=SECRET, profile="authjs-v5")
    assert subset(reader.read(request({**parts, "authjs.session-token.2": ""}))) == CLAIMS
    v4_token = v4({**CLAIMS, "blob": "y" * 5000})
    v4_parts = {
        f"next-auth.session-token.{i}": v4_token[i * 3933 : (i + 1) * 3933] for i in range(2)
    }
    assert subset(NextAuthSession(secret=SECRET).read(request(v4_parts))) == CLAIMS


def test_bearer_header_and_its_refusals() -> None:
    reader = NextAuthSession(secret=SECRET, profile="authjs-v5")
    assert subset(reader.read(request(authorization=f"Bearer {v5()}"))) == CLAIMS
    assert reader.read(request(authorization="Bearer %E0%A4%A")) is None
    assert reader.read(request(authorization=f"Basic {v5()}")) is None
    assert reader.read(request(authorization="Bearer ")) is None
    no_bearer = NextAuthSession(secret=SECRET, profile="authjs-v5", bearer=False)
    assert no_bearer.read(request(authorization=f"Bearer {v5()}")) is None
    # A cookie wins over the header, even when it is invalid (as next-auth's getToken).
    assert (
        reader.read(request({"authjs.session-token": "junk"}, authorization=f"Bearer {v5()}"))
        is None
    )


def test_rotation_wrong_secret_expiry_and_custom_name() -> None:
    token = v5(secret="old")
    rotated = NextAuthSession(secret=["new", "old"], profile="authjs-v5")
    assert subset(rotated.read(request({"authjs.session-token": token}))) == CLAIMS
    assert (
        NextAuthSession(secret="new", profile="authjs-v5").read(
            request({"authjs.session-token": token})
        )
        is None
    )
    later = time.time() + 31 * 24 * 3600
    assert rotated.read(request({"authjs.session-token": token}), now=later) is None
    custom = NextAuthSession(secret=SECRET, profile="authjs-v5", cookie_name="my-session")
    assert custom.cookie_names == ("my-session",)
    assert subset(custom.read(request({"my-session": v5(name="my-session")}))) == CLAIMS


def test_configuration_errors() -> None:
    with pytest.raises(MissingSecretError):
        NextAuthSession(env={})
    assert NextAuthSession(env={"AUTH_SECRET": SECRET}).read(request({})) is None
    with pytest.raises(ConfigurationError):
        NextAuthSession(secret=SECRET, profile="v6")  # type: ignore[arg-type]


READER = NextAuthSession(secret=SECRET, profile="authjs-v5")
required = token_dependency(READER)
optional = optional_token_dependency(READER)


def fastapi_app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/me")
    def me(claims: dict[str, Any] = Depends(required)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"], "role": claims["role"]}

    @app.get("/api/maybe")
    def maybe(claims: dict[str, Any] | None = Depends(optional)) -> dict[str, Any]:  # noqa: B008
        return {"signed_in": claims is not None}

    return app


def starlette_app() -> Starlette:
    async def me(request: Request) -> JSONResponse:
        token = request.state.token
        return JSONResponse({"sub": token["sub"] if token else None})

    app = Starlette(routes=[Route("/api/me", me), Route("/public", me)])
    app.add_middleware(TokenMiddleware, reader=READER, protect=["/api"])
    return app


async def test_fastapi_dependency() -> None:
    transport = httpx.ASGITransport(app=fastapi_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        denied = await client.get("/api/me")
        assert denied.status_code == 401
        assert denied.json() == {"detail": "SessionRequired"}
        assert denied.headers["www-authenticate"].startswith("Bearer")
        client.cookies.set("authjs.session-token", v5())
        ok = await client.get("/api/me")
        assert (ok.status_code, ok.json()) == (200, {"sub": "7", "role": "admin"})
        assert (await client.get("/api/maybe")).json() == {"signed_in": True}
        client.cookies.clear()
        assert (await client.get("/api/maybe")).json() == {"signed_in": False}
        bearer = await client.get("/api/me", headers={"authorization": f"Bearer {v5()}"})
        assert bearer.status_code == 200


class _ThreadRecordingReader(NextAuthSession):
    """Records the thread each read runs on."""

    def __init__(self) -> None:
        super().__init__(secret=SECRET, profile="authjs-v5")
        self.threads: list[int] = []

    def read(self, request: AuthRequest, *, now: float | None = None) -> Any:
        self.threads.append(threading.get_ident())
        return super().read(request, now=now)


async def test_fastapi_token_dependencies_run_on_the_event_loop() -> None:
    # A plain ``def`` dependency would go through FastAPI's thread pool on every request (a
    # hop costing several times the decode); the read does no I/O, so it runs on the loop.
    reader = _ThreadRecordingReader()
    app = FastAPI()

    @app.get("/api/me")
    async def me(claims: dict[str, Any] = Depends(token_dependency(reader))) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    @app.get("/api/maybe")
    async def maybe(
        claims: dict[str, Any] | None = Depends(optional_token_dependency(reader)),  # noqa: B008
    ) -> dict[str, Any]:
        return {"signed_in": claims is not None}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        client.cookies.set("authjs.session-token", v5())
        assert (await client.get("/api/me")).json() == {"sub": "7"}
        assert (await client.get("/api/maybe")).json() == {"signed_in": True}
    assert reader.threads == [threading.get_ident()] * 2


async def test_starlette_middleware() -> None:
    transport = httpx.ASGITransport(app=starlette_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        denied = await client.get("/api/me")
        assert (denied.status_code, denied.json()) == (401, {"error": "SessionRequired"})
        assert (await client.get("/public")).json() == {"sub": None}
        client.cookies.set("authjs.session-token", v5())
        assert (await client.get("/api/me")).json() == {"sub": "7"}
        assert (await client.get("/public")).json() == {"sub": "7"}
