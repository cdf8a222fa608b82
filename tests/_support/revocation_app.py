"""A Starlette app for the multi-process revocation test, configured by environment variables.

``AUTHGATE_TEST_REDIS`` (URL), ``AUTHGATE_TEST_PREFIX`` (key prefix), ``AUTHGATE_TEST_SECRET``,
``AUTHGATE_TEST_URL`` (this worker's auth URL). Run by uvicorn in a process of its own.
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
from authgate.revocation.redis import RedisRevocationStore

if TYPE_CHECKING:
    from collections.abc import Mapping

    from starlette.requests import Request

PASSWORD = "correct horse battery staple"


def authorize(credentials: Mapping[str, Any], request: Any) -> dict[str, Any] | None:
    if credentials.get("password") != PASSWORD:
        return None
    return {"id": str(credentials.get("username")), "name": "Ada"}


store = RedisRevocationStore(
    url=os.environ["AUTHGATE_TEST_REDIS"], prefix=os.environ["AUTHGATE_TEST_PREFIX"]
)
gate = AuthGate(
    AuthConfig(
        providers=[Credentials(authorize=authorize)],
        secret=os.environ["AUTHGATE_TEST_SECRET"],
        url=os.environ["AUTHGATE_TEST_URL"],
        revocation=store,
        rate_limit=None,
    ),
    env={},
)


async def me(request: Request) -> JSONResponse:
    return JSONResponse({"session": await get_session(request, gate), "pid": os.getpid()})


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
        Route("/admin/end-sessions", end_sessions, methods=["POST"]),
        Route("/admin/end-session", end_session, methods=["POST"]),
        Mount("/api/auth", AuthApp(gate)),
    ]
)
