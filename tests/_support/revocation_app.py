"""A Starlette app for the multi-process revocation test, configured by environment variables.

``AUTHGATE_TEST_REDIS`` (URL), ``AUTHGATE_TEST_PREFIX`` (key prefix), ``AUTHGATE_TEST_SECRET``,
``AUTHGATE_TEST_URL`` (the public auth URL), ``AUTHGATE_TEST_TRUSTED_PROXIES`` (proxies in
front, default 0). Run by uvicorn in a process of its own; sign-in throttling and revocation
are both in the shared Redis.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from authgate import AuthConfig, AuthGate
from authgate.integrations.asgi import AuthApp, request_from_scope
from authgate.integrations.starlette import get_session
from authgate.providers import Credentials
from authgate.ratelimit import RateLimit
from authgate.ratelimit.redis import RedisBackend
from authgate.revocation.redis import RedisRevocationStore

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

PASSWORD = "correct horse battery staple"


def authorize(credentials: Mapping[str, Any], request: Any) -> dict[str, Any] | None:
    if credentials.get("password") != PASSWORD:
        return None
    return {"id": str(credentials.get("username")), "name": "Ada"}


prefix = os.environ["AUTHGATE_TEST_PREFIX"]
store = RedisRevocationStore(url=os.environ["AUTHGATE_TEST_REDIS"], prefix=prefix)
gate = AuthGate(
    AuthConfig(
        providers=[Credentials(authorize=authorize)],
        secret=os.environ["AUTHGATE_TEST_SECRET"],
        url=os.environ["AUTHGATE_TEST_URL"],
        revocation=store,
        rate_limit=RateLimit(
            backend=RedisBackend(url=os.environ["AUTHGATE_TEST_REDIS"], prefix=prefix + "rl:"),
            trusted_proxies=int(os.environ.get("AUTHGATE_TEST_TRUSTED_PROXIES", "0")),
        ),
    ),
    env={},
)


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"session": await get_session(request, gate), "pid": os.getpid()})


async def client(request: Request) -> JSONResponse:
    """The client address the sign-in limiter sees (through ``trusted_proxies``)."""
    limiter = gate._options.limiter
    assert limiter is not None
    return JSONResponse({"client": limiter.client_ip(request_from_scope(request.scope))})


async def sid(request: Request) -> JSONResponse:
    token = gate.get_token(request_from_scope(request.scope))
    return JSONResponse({"sid": token.get("sid") if token else None})


async def end_sessions(request: Request) -> JSONResponse:
    await gate.end_sessions(request.query_params["user"])
    return JSONResponse({"ok": True})


async def end_session(request: Request) -> JSONResponse:
    await gate.end_session(request.query_params["user"], request.query_params["sid"])
    return JSONResponse({"ok": True})


app = Starlette(
    routes=[
        Route("/me", me),
        Route("/sid", sid),
        Route("/client", client),
        Route("/admin/end-sessions", end_sessions, methods=["POST"]),
        Route("/admin/end-session", end_session, methods=["POST"]),
        Mount("/api/auth", AuthApp(gate)),
    ]
)
