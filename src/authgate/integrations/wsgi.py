"""Serve the auth API from any WSGI app; read the session from synchronous code.

>>> application = AuthWSGIApp(gate, app=flask_or_other_wsgi_app)   # auth API + your app
>>> session = get_session(environ, gate)                           # in any sync view

The translation between a WSGI ``environ`` and :class:`~authgate.http.AuthRequest` /
:class:`~authgate.http.AuthResponse` lives here for every synchronous framework (Flask and
Django use it too): body limit before reading, the mount prefix (``SCRIPT_NAME``), every
``Set-Cookie`` header kept separate. The async core runs on the process-wide sync bridge
(:mod:`authgate.integrations._sync`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Protocol

from authgate.http import AuthRequest, AuthResponse
from authgate.integrations._sync import run_engine, run_sync
from authgate.integrations.asgi import MAX_BODY_BYTES

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.gate import AuthGate, CsrfToken, SessionUpdate
    from authgate.http import Cookie
    from authgate.types import Session

__all__ = [
    "AuthWSGIApp",
    "get_csrf_token",
    "get_session",
    "handle_environ",
    "read_body",
    "request_from_environ",
    "response_headers",
    "sign_out",
    "status_line",
    "update_session",
]

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def _wsgi_str(value: str) -> str:
    """A WSGI "bytes as latin-1" string decoded as the UTF-8 the client sent."""
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # already real text (e.g. Django's ASGI META)
        return value


def environ_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request headers of a WSGI environ (or Django's ``META``), names lower-cased."""
    headers: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").lower(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").lower(), value))
    return headers


def request_from_environ(
    environ: Mapping[str, Any],
    body: bytes = b"",
    *,
    path: str | None = None,
    scheme: str | None = None,
) -> AuthRequest:
    """Convert a WSGI environ (and its body) into an :class:`AuthRequest`.

    The path includes the mount prefix (``SCRIPT_NAME``) unless ``path`` is given.
    """
    if path is None:
        path = _wsgi_str(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
    return AuthRequest.build(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=path or "/",
        query_string=_wsgi_str(environ.get("QUERY_STRING", "")),
        headers=environ_headers(environ),
        body=body,
        client_host=environ.get("REMOTE_ADDR") or None,
        scheme=scheme or environ.get("wsgi.url_scheme", "http"),
    )


def read_body(
    stream: _Readable, content_length: str | None, *, terminated: bool, limit: int = MAX_BODY_BYTES
) -> bytes | AuthResponse:
    """The request body, or the error answer (413 above ``limit``, 400 for a bad length).

    A declared length above the limit is refused before anything is read; a body without a
    length (chunked) is read only when the server marks the input as terminated, and never
    more than ``limit + 1`` bytes of it.
    """
    if content_length:
        if not content_length.isdigit():
            return AuthResponse.text("Bad Request: invalid Content-Length", status=400)
        size = int(content_length)
        if size > limit:
            return too_large()
        chunks: list[bytes] = []
        while size > 0:
            chunk = stream.read(size)
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)
    if not terminated:
        return b""
    body = stream.read(limit + 1)
    return too_large() if len(body) > limit else body


def too_large() -> AuthResponse:
    """The ``413`` answer for a body above the limit (the same text as the ASGI app)."""
    return AuthResponse.text("Payload Too Large: request body limit exceeded", status=413)


def status_line(status: int) -> str:
    """``"302 Found"``: the status line WSGI wants."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


def response_headers(response: AuthResponse) -> list[tuple[str, str]]:
    """Every header of ``response``, one ``Set-Cookie`` per cookie, and ``Content-Length``."""
    headers = list(response.headers)
    headers += [("set-cookie", cookie) for cookie in response.set_cookie_headers()]
    headers.append(("content-length", str(len(response.body))))
    return headers


def handle_environ(gate: AuthGate, environ: Mapping[str, Any]) -> AuthResponse:
    """Read the body of a WSGI request under the limit and answer it with ``gate``."""
    body = read_body(
        environ["wsgi.input"],
        environ.get("CONTENT_LENGTH"),
        terminated=bool(environ.get("wsgi.input_terminated")),
    )
    if isinstance(body, AuthResponse):
        return body
    return run_engine(gate.handle(request_from_environ(environ, body)))


def get_session(environ: Mapping[str, Any], gate: AuthGate) -> Session | None:
    """The session of a WSGI request, or ``None`` (fails closed). Blocks on the sync bridge."""
    return run_engine(gate.get_session(request_from_environ(environ)))


def get_csrf_token(environ: Mapping[str, Any], gate: AuthGate) -> CsrfToken:
    """A CSRF token for a custom form; set its ``cookies`` on the page's response."""
    return gate.get_csrf_token(request_from_environ(environ))


def sign_out(environ: Mapping[str, Any], gate: AuthGate) -> list[Cookie]:
    """End the session on the server (:meth:`AuthGate.sign_out`); set the cookies it returns."""
    return run_sync(gate.sign_out(request_from_environ(environ)))


def update_session(environ: Mapping[str, Any], gate: AuthGate, data: Any) -> SessionUpdate:
    """Update the session with ``data`` (:meth:`AuthGate.update_session`); set its cookies."""
    return run_sync(gate.update_session(request_from_environ(environ), data))


class AuthWSGIApp:
    """A WSGI app answering the auth API of ``gate`` under ``gate.base_path``.

    Requests outside the base path go to ``app`` (or get a 404 without one), so it can wrap a
    whole WSGI application. The path compared is ``SCRIPT_NAME + PATH_INFO``: configure the
    gate's ``url`` with the mount prefix when the app is served under one.

    Args:
        gate: The auth gate.
        app: The WSGI app for every other path.
    """

    def __init__(self, gate: AuthGate, app: WSGIApp | None = None) -> None:
        self.gate = gate
        self.app = app

    def _ours(self, environ: Mapping[str, Any]) -> bool:
        path = _wsgi_str(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""))
        base = self.gate.base_path
        return path == base or path.startswith(base + "/")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Answer one WSGI request."""
        if not self._ours(environ):
            if self.app is not None:
                return self.app(environ, start_response)
            response = AuthResponse.text("Not Found", status=404)
        else:
            response = handle_environ(self.gate, environ)
        start_response(status_line(response.status), response_headers(response))
        return [response.body]
