"""Litestar: a plugin mounting the auth API, a session dependency and a guard.

>>> auth = AuthGatePlugin(gate)
>>> app = Litestar([home, dashboard], plugins=[auth])
>>> @get("/dashboard", guards=[auth.guard])
... async def dashboard(auth_session: AuthSession) -> str: ...

Litestar is ASGI: the API is the plain :class:`~authgate.integrations.asgi.AuthApp` mounted at
the gate's base path, and sessions are read on the server's own event loop (no sync bridge).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from litestar import Request, Response, asgi
from litestar.di import NamedDependency, Provide
from litestar.plugins import InitPluginProtocol
from litestar.response import Redirect

from authgate.integrations._protect import SESSION_REQUIRED, sign_in_url
from authgate.integrations.asgi import (
    AuthApp,
    PathPrefixes,
    request_from_scope,
    session_of_scope,
)
from authgate.types import Session

if TYPE_CHECKING:
    from collections.abc import Iterable

    from litestar.config.app import AppConfig
    from litestar.connection import ASGIConnection
    from litestar.handlers import BaseRouteHandler
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from authgate.gate import AuthGate

__all__ = ["AuthGatePlugin", "AuthSession", "SessionRequired"]

AuthSession = NamedDependency[Session | None]
"""The annotation of the ``auth_session`` parameter: the session, or ``None``."""

_COOKIES = "authgate_cookies"


class SessionRequired(Exception):  # noqa: N818 - next-auth's error code
    """Raised by :meth:`AuthGatePlugin.guard` without a session; answered by the plugin."""

    def __init__(self, api: bool) -> None:
        super().__init__("SessionRequired")
        self.api = api


class AuthGatePlugin(InitPluginProtocol):
    """Mount the auth API and register the ``auth_session`` dependency and the guard.

    Args:
        gate: The auth gate.
        path: Where the API is mounted, as the app routes (default: the gate's base path).
            Behind a ``root_path`` the gate's ``url`` includes the prefix and this does not.
        api_prefixes: Path prefixes whose guarded handlers answer ``401`` JSON rather than a
            redirect to the sign-in page.
        dependency_key: The name of the session dependency.
    """

    def __init__(
        self,
        gate: AuthGate,
        *,
        path: str | None = None,
        api_prefixes: Iterable[str] = ("/api/",),
        dependency_key: str = "auth_session",
    ) -> None:
        self.gate = gate
        self.path = path if path is not None else gate.base_path
        self.api_prefixes = PathPrefixes(api_prefixes)
        self.dependency_key = dependency_key

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        """Add the mounted API, the dependency, the exception handler and the cookie middleware."""
        api = AuthApp(self.gate)

        @asgi(self.path, is_mount=True, copy_scope=True)
        async def auth_api(scope: Scope, receive: Receive, send: Send) -> None:
            # Litestar rewrote `path` to what follows the mount (with a "/" appended); the
            # engine routes on the whole path as the client sent it.
            raw = scope.get("raw_path")
            if raw:
                scope["path"] = unquote(raw.decode("latin-1"))
            await api(scope, receive, send)  # type: ignore[arg-type]

        app_config.route_handlers.append(auth_api)
        app_config.dependencies[self.dependency_key] = Provide(self.get_session)
        app_config.exception_handlers[SessionRequired] = self._refuse
        app_config.middleware.append(_pending_cookies)
        return app_config

    async def get_session(self, request: Request[Any, Any, Any]) -> Session | None:
        """The session of the request, or ``None`` (read once per request)."""
        return await session_of_scope(request.scope, self.gate)  # type: ignore[arg-type]

    async def guard(
        self, connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
    ) -> None:
        """A Litestar guard: no session means a redirect to sign-in (pages) or 401 (APIs)."""
        if await self.get_session(connection) is None:  # type: ignore[arg-type]
            path = connection.scope["path"]
            raise SessionRequired(api=self.api_prefixes.match(path))

    def get_csrf_token(self, request: Request[Any, Any, Any]) -> str:
        """A CSRF token for a custom form; its cookie is added to this request's response."""
        csrf = self.gate.get_csrf_token(request_from_scope(request.scope))  # type: ignore[arg-type]
        state = request.scope.setdefault("state", {})
        state.setdefault(_COOKIES, []).extend(c.serialize() for c in csrf.cookies)
        return csrf.token

    def get_providers(self, request: Request[Any, Any, Any]) -> dict[str, dict[str, str]]:
        """The ``/providers`` map for the request (for a custom sign-in page)."""
        return self.gate.get_providers(request_from_scope(request.scope))  # type: ignore[arg-type]

    def _refuse(self, request: Request[Any, Any, Any], exc: SessionRequired) -> Response[Any]:
        if exc.api:
            return Response(SESSION_REQUIRED, status_code=401)
        query = request.scope.get("query_string", b"").decode("latin-1")
        target = request.scope.get("root_path", "") + request.scope["path"]
        target += f"?{query}" if query else ""
        return Redirect(sign_in_url(self.gate, target), status_code=302)


def _pending_cookies(app: ASGIApp) -> ASGIApp:
    """Add the cookies :meth:`AuthGatePlugin.get_csrf_token` asked for, verbatim."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookies = scope.get("state", {}).get(_COOKIES, ())
                if cookies:
                    headers = list(message.get("headers", []))
                    headers += [(b"set-cookie", c.encode("latin-1")) for c in cookies]
                    message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_cookies)

    return middleware
