"""Starlette helpers: read the session, get a CSRF token for custom pages, protect routes."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.responses import JSONResponse, RedirectResponse, Response

from authgate.integrations._protect import sign_in_url
from authgate.integrations.asgi import (
    AuthApp,
    PathPrefixes,
    full_path,
    request_from_scope,
    route_path,
    session_of_scope,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from starlette.requests import Request
    from starlette.types import ASGIApp, Receive, Scope, Send

    from authgate.gate import AuthGate
    from authgate.resource import NextAuthSession
    from authgate.types import Session

__all__ = [
    "AuthApp",
    "ProtectMiddleware",
    "TokenMiddleware",
    "get_csrf_token",
    "get_session",
    "sign_in_url",
]


async def get_session(request: Request, gate: AuthGate) -> Session | None:
    """The session of the request, or ``None`` (fails closed).

    Read once per request and gate: further calls (several dependencies, the middleware and
    the endpoint) answer from the request's scope.
    """
    return await session_of_scope(request.scope, gate)


def get_csrf_token(request: Request, response: Response, gate: AuthGate) -> str:
    """A CSRF token for a custom form; sets the CSRF cookie on ``response`` when needed.

    ``response`` must be the response that is actually sent. In FastAPI, a ``response: Response``
    parameter is merged into the answer only when the endpoint returns a plain value (e.g. a
    ``str`` with ``response_class=HTMLResponse``); if the endpoint builds its own ``Response``,
    pass that one instead.
    """
    csrf = gate.get_csrf_token(request_from_scope(request.scope))
    for cookie in csrf.cookies:
        response.raw_headers.append((b"set-cookie", cookie.serialize().encode("latin-1")))
    return csrf.token


class ProtectMiddleware:
    """Require a session on some paths (next-auth's ``withAuth`` middleware).

    Pages redirect to the sign-in page with a ``callbackUrl`` back to where the visitor was;
    API paths (``api_prefixes``) answer ``401`` JSON; a WebSocket handshake is refused (closed
    before it is accepted: HTTP 403). The session is stored in
    ``scope["state"]["session"]`` (``request.state.session``).

    Args:
        app: The wrapped ASGI app.
        gate: The auth gate.
        protect: Path prefixes that need a session.
        api_prefixes: Path prefixes answered with JSON instead of a redirect.
        require_two_factor: Also require a session that proved a second factor
            (``AuthConfig(two_factor=...)``). A signed-in visitor without one is sent to the
            ``/two-factor`` page (step-up: to enrol first if they have none), not signed out;
            API paths answer ``403`` ``{"error": "TwoFactorRequired"}``.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        gate: AuthGate,
        protect: Iterable[str],
        api_prefixes: Iterable[str] = ("/api/",),
        require_two_factor: bool = False,
    ) -> None:
        self.app = app
        self.gate = gate
        self.require_two_factor = require_two_factor
        self.protect = PathPrefixes(protect)
        self.api_prefixes = PathPrefixes(api_prefixes)

    def _protected(self, scope: Scope) -> bool:
        # The auth API itself stays open, whether the path carries the mount prefix or not.
        if scope.get("path", "").startswith(self.gate.base_path + "/"):
            return False
        path = route_path(scope)
        if path.startswith(self.gate.base_path + "/"):
            return False
        return self.protect.match(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through, or answer it with a redirect or a 401."""
        if scope["type"] not in ("http", "websocket") or not self._protected(scope):
            await self.app(scope, receive, send)
            return
        session = await session_of_scope(scope, self.gate)
        stepped_up = session is None or (
            not self.require_two_factor
            or await self.gate.has_second_factor(request_from_scope(scope))
        )
        if session is not None and stepped_up:
            scope.setdefault("state", {})["session"] = session
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            # Closing before accepting: the server answers the handshake with a 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        response: Response
        # Back to where the visitor was: the full path, mount prefix included.
        query = scope.get("query_string", b"").decode("latin-1")
        target = full_path(scope) + (f"?{query}" if query else "")
        if self.api_prefixes.match(route_path(scope)):
            error, status = ("SessionRequired", 401) if stepped_up else ("TwoFactorRequired", 403)
            response = JSONResponse({"error": error}, status_code=status)
        elif not stepped_up:  # signed in, second factor missing: step up, do not sign out
            step_up = f"{self.gate.base_path}/two-factor?{urlencode({'callbackUrl': target})}"
            response = RedirectResponse(step_up, status_code=302)
        else:
            response = RedirectResponse(sign_in_url(self.gate, target), status_code=302)
        await response(scope, receive, send)


class TokenMiddleware:
    """Resource-server mode: read the Next.js session token of every request.

    Sets ``request.state.token`` to the claims (or ``None``) on every HTTP request and answers
    ``401 {"error": "SessionRequired"}`` on the ``protect`` path prefixes when there is none.

    Args:
        app: The wrapped ASGI app.
        reader: How to read the token (secret, profile, cookie names).
        protect: Path prefixes that need a valid token.
    """

    def __init__(self, app: ASGIApp, *, reader: NextAuthSession, protect: Iterable[str] = ()):
        self.app = app
        self.reader = reader
        self.protect = PathPrefixes(protect)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Attach the token, or answer 401 on a protected path without one."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        claims = self.reader.read(request_from_scope(scope))
        scope.setdefault("state", {})["token"] = claims
        if claims is None and self.protect.match(route_path(scope)):
            response = JSONResponse(
                {"error": "SessionRequired"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="authgate"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
