"""``AuthBodyLimit``: refuse oversized bodies to the auth API before Django's ASGI handler.

Django's ``ASGIHandler`` reads the whole request body (into a spooled temporary file) before
any middleware or view runs, so the auth views could only refuse a body after the upload::

    # asgi.py
    from django.core.asgi import get_asgi_application
    from authgate.integrations.django.asgi import AuthBodyLimit

    application = AuthBodyLimit(get_asgi_application())

In front of Django, requests under the gate's base path with a body above the limit are
answered ``413`` at once: a declared ``Content-Length`` before anything is read, a chunked body
as soon as the bytes read pass the limit (never more than ``limit`` bytes held). A body within
the limit is handed to Django unchanged; other paths and other scope types pass through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate.http import AuthResponse
from authgate.integrations.asgi import MAX_BODY_BYTES, PathPrefixes, full_path, send_response
from authgate.integrations.django.conf import get_gate

if TYPE_CHECKING:
    from authgate.integrations.asgi import Message, Receive, Scope, Send

__all__ = ["LIMITED", "AuthBodyLimit"]

LIMITED = "authgate.body_limited"
"""Scope key set by :class:`AuthBodyLimit` (the async auth view checks it was installed)."""

ASGIApp = Any  # Django's ASGIHandler, or any ASGI callable


def _too_large() -> AuthResponse:
    return AuthResponse.text("Payload Too Large: request body limit exceeded", status=413)


class AuthBodyLimit:
    """ASGI middleware: the auth API's body limit, enforced before Django buffers the body.

    Args:
        app: Django's ASGI application (``get_asgi_application()``).
        limit: The most body bytes a request to the auth API may carry (the core's limit).
        base_path: The auth API's path, mount prefix included (default: the base path of the
            gate in ``settings.AUTHGATE``, read on the first request).
    """

    def __init__(
        self, app: ASGIApp, *, limit: int = MAX_BODY_BYTES, base_path: str | None = None
    ) -> None:
        self.app = app
        self.limit = limit
        self._prefixes = None if base_path is None else PathPrefixes([base_path])

    def _ours(self, scope: Scope) -> bool:
        if self._prefixes is None:
            self._prefixes = PathPrefixes([get_gate().base_path])
        # Normalised (case, "//", dot segments): a spelling Django might still route is capped.
        return self._prefixes.match(full_path(scope))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer 413 for an oversized body to the auth API; hand everything else to ``app``."""
        if scope["type"] != "http" or not self._ours(scope):
            await self.app(scope, receive, send)
            return
        scope[LIMITED] = True
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.limit:
            await send_response(send, _too_large())
            return
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # a disconnect: Django sees it too
                break
            size += len(message.get("body", b""))
            if size > self.limit:
                await send_response(send, _too_large())
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(messages, receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """The messages already read, then the server's own ``receive`` (for the disconnect)."""
    pending = list(reversed(messages))

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed
