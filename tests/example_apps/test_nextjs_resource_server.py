"""examples/nextjs_resource_server: sessions a Next.js app issued, read by the FastAPI API.

The tokens are minted by the real next-auth 4 and @auth/core packages (node), so this is what
a Next.js deployment sends; a token minted by authgate for the other profile is refused.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from examples.nextjs_resource_server import create_app

from authgate import jwt as authjwt
from interop.authjs_node import batch

pytestmark = pytest.mark.anyio

SECRET = "nextjs-example-secret-0123456789abcdef"
CLAIMS = {"name": "Ada", "email": "ada@example.com", "sub": "u-1"}


async def call(app: Any, path: str, **kw: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.get(path, **kw)


@pytest.mark.interop
@pytest.mark.parametrize(
    ("profile", "cookie"),
    [
        ("nextauth-v4", "next-auth.session-token"),
        ("nextauth-v4", "__Secure-next-auth.session-token"),
        ("authjs-v5", "authjs.session-token"),
        ("authjs-v5", "__Secure-authjs.session-token"),
    ],
)
async def test_sessions_from_the_next_js_packages(profile: str, cookie: str) -> None:
    request: dict[str, Any] = {"op": "encode", "token": CLAIMS, "secret": SECRET}
    if profile == "authjs-v5":
        request |= {"profile": profile, "salt": cookie}
    (answer,) = batch([request])
    app = create_app(secret=SECRET, profile=profile, env={})  # type: ignore[arg-type]
    me = await call(app, "/api/me", headers={"cookie": f"{cookie}={answer['jwt']}"})
    assert me.status_code == 200
    body = me.json()
    assert {k: body[k] for k in ("id", "name", "email")} == {
        "id": "u-1",
        "name": "Ada",
        "email": "ada@example.com",
    }
    bearer = await call(app, "/api/hello", headers={"authorization": f"Bearer {answer['jwt']}"})
    assert bearer.json() == {"message": "Hello, Ada!"}


async def test_without_a_session() -> None:
    app = create_app(env={"AUTH_SECRET": SECRET, "NEXTAUTH_PROFILE": "authjs-v5"})
    assert (await call(app, "/health")).json() == {"status": "ok"}
    denied = await call(app, "/api/me")
    assert (denied.status_code, denied.json()) == (401, {"detail": "SessionRequired"})
    assert (await call(app, "/api/hello")).json() == {"message": "Hello, stranger!"}
    # A v4 token sent to a v5 API, or one under another secret, is no session.
    v4_token = authjwt.encode(CLAIMS, SECRET)
    other = authjwt.encode(CLAIMS, "other", salt="authjs.session-token", profile="authjs-v5")
    for cookie in (f"authjs.session-token={v4_token}", f"authjs.session-token={other}"):
        assert (await call(app, "/api/me", headers={"cookie": cookie})).status_code == 401
