"""Serve the auth API as a plain ASGI application (no framework needed).

>>> app.mount(auth.base_path, AuthApp(auth))        # Starlette / FastAPI
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from authgate.http import AuthRequest, AuthResponse

if TYPE_CHECKING:
    from authgate.gate import AuthGate

__all__ = ["MAX_BODY_BYTES", "AuthApp", "request_from_scope", "send_response"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

MAX_BODY_BYTES = 64 * 1024
"""Bodies above this are refused with 413 before they are read further."""


def full_path(scope: Scope) -> str:
    """The request path including the mount prefix (``root_path``).

    Servers and frameworks split ``root_path`` and ``path`` differently; this undoes either.
    """
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and not path.startswith(root):
        return root + path
    return path


def request_from_scope(scope: Scope, body: bytes = b"") -> AuthRequest:
    """Convert an ASGI HTTP scope (and its body) into an :class:`AuthRequest`."""
    client = scope.get("client")
    return AuthRequest.build(
        method=scope.get("method", "GET"),
        path=full_path(scope),
        query_string=scope.get("query_string", b""),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])],
        body=body,
        client_host=client[0] if client else None,
        scheme=scope.get("scheme", "http"),
    )


async def read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes | None:
    """The whole body, or ``None`` once it exceeds ``limit`` (the rest is not buffered)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def send_response(send: Send, response: AuthResponse) -> None:
    """Send an :class:`AuthResponse` over ASGI."""
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers += [(b"set-cookie", c.encode("latin-1")) for c in response.set_cookie_headers()]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


class AuthApp:
    """An ASGI app answering the auth API of ``gate``; mount it at ``gate.base_path``."""

    def __init__(self, gate: AuthGate) -> None:
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI HTTP request."""
        if scope["type"] != "http":
            return
        length = dict(scope.get("headers", [])).get(b"content-length", b"0")
        body = (
            None if length.isdigit() and int(length) > MAX_BODY_BYTES else await read_body(receive)
        )
        if body is None:
            await send_response(
                send,
                AuthResponse.text("Payload Too Large: request body limit exceeded", status=413),
            )
            return
        response = await self.gate.handle(request_from_scope(scope, body))
        await send_response(send, response)
