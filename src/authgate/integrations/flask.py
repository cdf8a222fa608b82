"""Flask: a blueprint serving the auth API, the session of the request, protected views.

>>> auth = AuthGateFlask(gate, app)          # or AuthGateFlask(gate).init_app(app)
>>> @app.get("/dashboard")
... @session_required
... def dashboard(): return f"Hello {current_session['user']['name']}"

Templates get ``authgate_csrf_token()`` and ``authgate_providers()`` (a custom sign-in page in
Jinja). The async core runs on the process-wide sync bridge: no event loop per request.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from flask import Blueprint, Flask, current_app, g, jsonify, redirect, request
from flask import Response as FlaskResponse
from werkzeug.local import LocalProxy

from authgate.integrations._protect import SESSION_REQUIRED, sign_in_url
from authgate.integrations._sync import run_engine, run_sync
from authgate.integrations.asgi import PathPrefixes
from authgate.integrations.wsgi import read_body, request_from_environ, response_headers

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from _typeshed.wsgi import WSGIEnvironment
    from werkzeug.datastructures import Headers
    from werkzeug.wrappers import Response as WerkzeugResponse

    from authgate.gate import AuthGate
    from authgate.http import AuthResponse, Cookie
    from authgate.types import Session

__all__ = [
    "AuthGateFlask",
    "current_session",
    "get_csrf_token",
    "get_providers",
    "get_session",
    "session_required",
    "sign_out",
    "update_session",
]

P = ParamSpec("P")
R = TypeVar("R")

_NO_SESSION = object()
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class _VerbatimResponse(FlaskResponse):
    """A response whose headers are exactly the engine's.

    No default ``Content-Type``, and no ``Location`` rewriting (werkzeug would pass it through
    ``iri_to_uri``, which lower-cases the host of a callback URL the engine validated).
    """

    default_mimetype = None

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        """The headers as the engine wrote them (werkzeug copies them to rewrite: no need)."""
        return self.headers


def _to_flask(response: AuthResponse) -> FlaskResponse:
    return _VerbatimResponse(
        response.body, status=response.status, headers=response_headers(response)
    )


class AuthGateFlask:
    """The Flask extension: mounts the auth API and gives views the session.

    Args:
        gate: The auth gate.
        app: The app to set up now (or call :meth:`init_app` later).
        url_prefix: Where the blueprint is mounted, relative to the app (default: the gate's
            base path without the app's ``APPLICATION_ROOT``). Under a mount prefix
            (``SCRIPT_NAME``), the gate's ``url`` includes the prefix and this does not.
        api_prefixes: Path prefixes whose protected views answer ``401`` JSON rather than a
            redirect to the sign-in page.
    """

    def __init__(
        self,
        gate: AuthGate,
        app: Flask | None = None,
        *,
        url_prefix: str | None = None,
        api_prefixes: Iterable[str] = ("/api/",),
    ) -> None:
        self.gate = gate
        self.url_prefix = url_prefix
        self.api_prefixes = PathPrefixes(api_prefixes)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the API blueprint, the template helpers and the CSRF cookie hook."""
        prefix = self.url_prefix
        if prefix is None:  # the base path without the app's mount prefix (APPLICATION_ROOT)
            prefix = self.gate.base_path
            root = str(app.config.get("APPLICATION_ROOT") or "/").rstrip("/")
            if root and prefix.startswith(root + "/"):
                prefix = prefix[len(root) :]
        blueprint = Blueprint("authgate", __name__, url_prefix=prefix)
        view = self._api_view
        blueprint.add_url_rule("/", "api_root", view, methods=_METHODS, strict_slashes=False)
        blueprint.add_url_rule("/<path:rest>", "api", view, methods=_METHODS)
        app.register_blueprint(blueprint)
        app.extensions["authgate"] = self
        app.after_request(_set_pending_cookies)
        app.context_processor(
            lambda: {"authgate_csrf_token": get_csrf_token, "authgate_providers": get_providers}
        )

    def _api_view(self, rest: str = "") -> FlaskResponse:
        environ = request.environ
        body = read_body(
            request.stream,
            environ.get("CONTENT_LENGTH"),
            terminated=True,  # werkzeug's stream ends where the body ends (length or chunked)
        )
        if isinstance(body, bytes):
            return _to_flask(run_engine(self.gate.handle(request_from_environ(environ, body))))
        return _to_flask(body)

    def get_session(self) -> Session | None:
        """The session of the current request, or ``None`` (read once per request)."""
        cached = g.get("_authgate_session", _NO_SESSION)
        if cached is _NO_SESSION:
            cached = run_engine(self.gate.get_session(request_from_environ(request.environ)))
            g._authgate_session = cached
        return cast("Session | None", cached)

    def get_csrf_token(self) -> str:
        """A CSRF token for a custom form; its cookie is set on this request's response."""
        token = g.get("_authgate_csrf")
        if token is None:
            csrf = self.gate.get_csrf_token(request_from_environ(request.environ))
            g.setdefault("_authgate_cookies", []).extend(c.serialize() for c in csrf.cookies)
            token = g._authgate_csrf = csrf.token
        return cast("str", token)

    def sign_out(self) -> None:
        """End the session of the current request; its cookies are cleared on the response."""
        self._queue(run_sync(self.gate.sign_out(request_from_environ(request.environ))), None)

    def update_session(self, data: Any) -> Session | None:
        """Update the session with ``data`` (trigger ``"update"``); the cookie is re-issued."""
        updated = run_sync(self.gate.update_session(request_from_environ(request.environ), data))
        self._queue(updated.cookies, updated.session)
        return updated.session

    def _queue(self, cookies: list[Cookie], session: Session | None) -> None:
        g.setdefault("_authgate_cookies", []).extend(c.serialize() for c in cookies)
        g._authgate_session = session  # get_session now answers what the response will carry

    def get_providers(self) -> dict[str, dict[str, str]]:
        """The ``/providers`` map for the current request (for a custom sign-in page)."""
        return self.gate.get_providers(request_from_environ(request.environ))

    def refuse(self) -> WerkzeugResponse:
        """The answer to a request without a session: ``401`` JSON on API paths, else a redirect."""
        path = request.path
        if self.api_prefixes.match(path):
            response = jsonify(SESSION_REQUIRED)
            response.status_code = 401
            return response
        query = request.query_string.decode("latin-1")
        target = request.script_root + path + (f"?{query}" if query else "")
        return redirect(sign_in_url(self.gate, target), code=302)


def _extension() -> AuthGateFlask:
    return cast("AuthGateFlask", current_app.extensions["authgate"])


def _set_pending_cookies(response: FlaskResponse) -> FlaskResponse:
    for cookie in g.pop("_authgate_cookies", ()):
        response.headers.add("Set-Cookie", cookie)
    return response


def get_session() -> Session | None:
    """The session of the current request, or ``None``."""
    return _extension().get_session()


def get_csrf_token() -> str:
    """A CSRF token for a custom form (``{{ authgate_csrf_token() }}`` in templates)."""
    return _extension().get_csrf_token()


def sign_out() -> None:
    """End the session of the current request (the cookies are cleared on its response)."""
    _extension().sign_out()


def update_session(data: Any) -> Session | None:
    """Update the session of the current request with ``data``; the new session."""
    return _extension().update_session(data)


def get_providers() -> dict[str, dict[str, str]]:
    """The configured providers (``{{ authgate_providers() }}`` in templates)."""
    return _extension().get_providers()


current_session: Session | None = cast("Session | None", LocalProxy(get_session))
"""The session of the current request (a proxy; ``None``-like when signed out)."""


def session_required(view: Callable[P, R]) -> Callable[P, R | WerkzeugResponse]:
    """Protect a view: without a session, redirect to sign-in (pages) or answer 401 (APIs)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | WerkzeugResponse:
        extension = _extension()
        if extension.get_session() is None:
            return extension.refuse()
        return view(*args, **kwargs)

    return wrapper
