"""Drive a gate through each integration: the same request, the framework's real stack.

A :class:`Transport` takes what a browser sends (:class:`Raw`) and answers an
:class:`~authgate.http.AuthResponse` rebuilt from what went over the wire: status, headers
(names lower-cased; ``content-length`` dropped, every framework adds it), body and every
``Set-Cookie`` line. Each ``Set-Cookie`` line must round-trip exactly through
:meth:`Cookie.serialize`, so a framework that rewrote, merged or dropped a cookie fails every
test that sets one.

``core`` calls ``gate.handle``; ``asgi`` the :class:`AuthApp`; ``wsgi`` :class:`AuthWSGIApp`;
``flask`` a Flask app with :class:`AuthGateFlask`; ``django`` Django's ``WSGIHandler`` with
the ``urls`` of the integration (behind Django's CSRF middleware and ours); ``litestar`` a
Litestar app with :class:`AuthGatePlugin`. The test's fixed clock reaches the engine through
:class:`ClockedGate`.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, unquote

from authgate import AuthGate
from authgate.http import AuthResponse, Cookie

if TYPE_CHECKING:
    from collections.abc import Callable

    from authgate.http import AuthRequest

__all__ = ["SYNC", "TRANSPORTS", "ClockedGate", "Raw", "Transport", "make_transport"]

TRANSPORTS = ("core", "asgi", "wsgi", "flask", "django", "litestar")
SYNC = frozenset({"wsgi", "flask", "django"})
"""The integrations that run the engine on the sync bridge's loop."""


@dataclass(frozen=True)
class Raw:
    """A request as a client sends it."""

    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    client_host: str | None


class ClockedGate(AuthGate):
    """The same gate (shared state), whose ``handle``/``get_session`` use the test's clock."""

    now: float | None

    def __init__(self, gate: AuthGate) -> None:  # no super().__init__: a view of ``gate``
        self.__dict__.update(gate.__dict__)
        self.now = None

    async def handle(self, request: AuthRequest, *, now: float | None = None) -> AuthResponse:
        return await super().handle(request, now=self.now if now is None else now)

    async def get_session(self, request: AuthRequest, *, now: float | None = None) -> Any:
        return await super().get_session(request, now=self.now if now is None else now)


class Transport(Protocol):
    async def send(self, raw: Raw, now: float | None) -> AuthResponse: ...


# --- reading the answer back -------------------------------------------------------------


def parse_set_cookie(line: str) -> Cookie:
    """A ``Set-Cookie`` line as a :class:`Cookie`; it must serialise back to the same line."""
    first, *attributes = line.split("; ")
    name, _, value = first.partition("=")
    fields: dict[str, Any] = {"path": "", "http_only": False, "same_site": None}
    for attribute in attributes:
        key, _, arg = attribute.partition("=")
        match key.lower():
            case "max-age":
                fields["max_age"] = int(arg)
            case "domain":
                fields["domain"] = arg
            case "path":
                fields["path"] = arg
            case "expires":
                fields["expires"] = parsedate_to_datetime(arg).astimezone(UTC)
            case "httponly":
                fields["http_only"] = True
            case "secure":
                fields["secure"] = True
            case "samesite":
                fields["same_site"] = arg.lower()
            case _:
                raise AssertionError(f"unexpected cookie attribute {attribute!r} in {line!r}")
    cookie = Cookie(name=name, value=unquote(value), **fields)
    assert cookie.serialize() == line, f"Set-Cookie rewritten: {line!r}"
    return cookie


def to_response(status: int, headers: list[tuple[str, str]], body: bytes) -> AuthResponse:
    kept: list[tuple[str, str]] = []
    cookies: list[Cookie] = []
    for name, value in headers:
        lname = name.lower()
        if lname == "set-cookie":
            cookies.append(parse_set_cookie(value))
        elif lname != "content-length":
            kept.append((lname, value))
    location = next((v for k, v in kept if k == "location"), None)
    return AuthResponse(status=status, headers=kept, body=body, cookies=cookies, redirect=location)


# --- core and ASGI -----------------------------------------------------------------------


@dataclass
class CoreTransport:
    gate: ClockedGate

    async def send(self, raw: Raw, now: float | None) -> AuthResponse:
        from authgate import AuthRequest

        request = AuthRequest.build(
            method=raw.method,
            path=raw.path,
            query_string=raw.query_string,
            headers=raw.headers,
            body=raw.body,
            client_host=raw.client_host,
        )
        return await self.gate.handle(request, now=now)


def scope_of(raw: Raw) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": raw.method,
        "scheme": "http",
        "path": raw.path,
        "raw_path": quote(raw.path).encode(),
        "root_path": "",
        "query_string": raw.query_string.encode(),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in raw.headers],
        "client": (raw.client_host, 50000) if raw.client_host else None,
        "server": ("localhost", 3000),
        "state": {},
    }


@dataclass
class ASGITransport:
    gate: ClockedGate
    app: Callable[..., Any]
    seat: ClockedGate | None = None  # the gate a shared app holds: this test's gate sits in it

    async def send(self, raw: Raw, now: float | None) -> AuthResponse:
        if self.seat is not None:
            self.seat.__dict__ = self.gate.__dict__
        self.gate.now = now
        messages = [{"type": "http.request", "body": raw.body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope_of(raw), receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
        return to_response(start["status"], headers, body)


# --- WSGI --------------------------------------------------------------------------------


def environ_of(raw: Raw) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": raw.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": raw.path.encode().decode("latin-1"),
        "QUERY_STRING": raw.query_string.encode().decode("latin-1"),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "3000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": raw.client_host or "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(raw.body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if raw.body:
        environ["CONTENT_LENGTH"] = str(len(raw.body))
    for name, value in raw.headers:
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
        if key in environ and key.startswith("HTTP_"):
            environ[key] += ("; " if key == "HTTP_COOKIE" else ", ") + value
        else:
            environ[key] = value
    return environ


@dataclass
class WSGITransport:
    gate: ClockedGate
    app: Callable[..., Any]

    async def send(self, raw: Raw, now: float | None) -> AuthResponse:
        self.gate.now = now
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers

        result = self.app(environ_of(raw), start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        return to_response(answer["status"], answer["headers"], body)


def _wsgi(gate: ClockedGate) -> Transport:
    from authgate.integrations.wsgi import AuthWSGIApp

    return WSGITransport(gate, AuthWSGIApp(gate))


def _flask(gate: ClockedGate) -> Transport:
    from flask import Flask

    from authgate.integrations.flask import AuthGateFlask

    app = Flask("blackbox")
    AuthGateFlask(gate, app)
    return WSGITransport(gate, app.wsgi_app)


def _django(gate: ClockedGate) -> Transport:
    from _support.django_app import wsgi_handler_for

    return WSGITransport(gate, wsgi_handler_for(gate))


def _asgi(gate: ClockedGate) -> Transport:
    from authgate.integrations.asgi import AuthApp

    return ASGITransport(gate, AuthApp(gate))


_litestar_apps: dict[str, tuple[Any, ClockedGate]] = {}


def _litestar(gate: ClockedGate) -> Transport:
    """One Litestar app per base path (building one takes ~60 ms), the test's gate seated in it."""
    from litestar import Litestar

    from authgate.integrations.litestar import AuthGatePlugin

    if gate.base_path not in _litestar_apps:
        seat = ClockedGate(gate)
        # logging_config=None: Litestar's default replaces the root handlers (and caplog's).
        app = Litestar(plugins=[AuthGatePlugin(seat)], logging_config=None)
        _litestar_apps[gate.base_path] = (app, seat)
    app, seat = _litestar_apps[gate.base_path]
    return ASGITransport(gate, app, seat)


_FACTORIES: dict[str, Callable[[ClockedGate], Transport]] = {
    "core": CoreTransport,
    "asgi": _asgi,
    "wsgi": _wsgi,
    "flask": _flask,
    "django": _django,
    "litestar": _litestar,
}


def make_transport(name: str, gate: AuthGate) -> Transport:
    """The transport ``name`` for ``gate``."""
    return _FACTORIES[name](ClockedGate(gate))
