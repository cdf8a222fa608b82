"""``ProtectMiddleware`` guards WebSocket connections on protected paths, not only HTTP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, WebSocketRoute

from authgate.integrations.starlette import AuthApp, ProtectMiddleware
from integrations.support import client, make_gate, sign_in

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from starlette.websockets import WebSocket

pytestmark = pytest.mark.anyio


def build_app() -> Starlette:
    gate = make_gate()

    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()
        session = websocket.scope.get("state", {}).get("session")
        await websocket.send_json({"secret": "dashboard data", "session": session})
        await websocket.close()

    return Starlette(
        routes=[
            Mount(gate.base_path, app=AuthApp(gate)),
            WebSocketRoute("/dashboard/feed", feed),
            WebSocketRoute("/public/feed", feed),
        ],
        middleware=[Middleware(ProtectMiddleware, gate=gate, protect=("/dashboard",))],
    )


async def connect(app: Starlette, path: str, cookie: str = "") -> list[dict[str, Any]]:
    """Open a WebSocket to ``app`` at ``path``; every message the app sent."""
    sent: list[dict[str, Any]] = []
    incoming: list[MutableMapping[str, Any]] = [{"type": "websocket.connect"}]
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")] + ([(b"cookie", cookie.encode())] if cookie else []),
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    await app(scope, receive, send)
    return sent


def data_sent(messages: list[dict[str, Any]]) -> bool:
    return any(m["type"] == "websocket.send" for m in messages)


async def test_protected_websocket_without_session_is_refused() -> None:
    messages = await connect(build_app(), "/dashboard/feed")
    assert not data_sent(messages), messages
    assert messages[0]["type"] == "websocket.close"  # before accept: an HTTP 403 to the client


async def test_protected_websocket_with_a_forged_cookie_is_refused() -> None:
    cookie = "next-auth.session-token=forged"
    messages = await connect(build_app(), "/dashboard/feed", cookie)
    assert not data_sent(messages), messages


async def test_protected_websocket_with_session_is_accepted() -> None:
    app = build_app()
    async with client(app) as http:
        await sign_in(http)
        token = http.cookies["next-auth.session-token"]
    messages = await connect(app, "/dashboard/feed", f"next-auth.session-token={token}")
    assert messages[0]["type"] == "websocket.accept"
    assert '"Ada"' in messages[1]["text"]


async def test_unprotected_websocket_passes() -> None:
    messages = await connect(build_app(), "/public/feed")
    assert messages[0]["type"] == "websocket.accept"
