"""Fixtures for black-box tests: a gate factory and a client that keeps a cookie jar.

Every test drives the gate and looks only at what goes back over the wire: status, headers,
``Set-Cookie`` and body. Every test runs once per integration
(``transport``: ``core`` calls ``AuthGate.handle``; ``asgi``, ``wsgi``, ``flask``, ``django``
and ``litestar`` go through that framework's real stack, see :mod:`.transports`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest

from authgate import AuthConfig, AuthGate, AuthRequest
from authgate import jwt as authjwt
from authgate.providers import Credentials

from .transports import SYNC, TRANSPORTS, Raw, make_transport

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from authgate.http import AuthResponse, Cookie

    from .transports import Transport

SECRET = "blackbox-test-secret-0123456789abcdef"
ORIGIN = "http://localhost:3000"
BASE = "/api/auth"
URL = ORIGIN + BASE
NOW = 1_800_000_000.0  # a fixed "now" (2027-01-15T08:00:00Z) for every time-dependent case
PASSWORD = "correct horse battery staple"

SESSION = "next-auth.session-token"
CSRF = "next-auth.csrf-token"
CALLBACK = "next-auth.callback-url"

ON_THE_SERVER_LOOP = {
    "test_rate_limit_redis",
    "test_database_outage",
    "test_revocation",
    "test_session_admin",
}
"""Modules that run only through the integrations on the test's own event loop (core, ASGI,
Litestar): their fixtures build a Redis client on that loop, and an asyncio client cannot be
shared between loops. (A sync app creates and uses its clients on the bridge loop only.)"""

_active_transport = "core"

USER = {"id": "1", "name": "Ada", "email": "ada@example.com", "image": "https://i.example/a.png"}


def check_password(credentials: Mapping[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    """The default ``authorize``: user ``ada`` with :data:`PASSWORD`."""
    if credentials.get("username") == "ada" and credentials.get("password") == PASSWORD:
        return dict(USER)
    return None


def credentials_provider(authorize: Callable[..., Any] = check_password, **kw: Any) -> Credentials:
    fields = {
        "username": {"label": "Username", "type": "text"},
        "password": {"label": "Password", "type": "password"},
    }
    return Credentials(authorize=authorize, credentials=kw.pop("credentials", fields), **kw)


def make_gate(*, env: Mapping[str, str] | None = None, **config: Any) -> AuthGate:
    """An :class:`AuthGate` with test defaults (credentials provider, secret, fixed url)."""
    config.setdefault("providers", [credentials_provider()])
    config.setdefault("secret", SECRET)
    if "url" not in config and "trust_host" not in config:
        config["url"] = ORIGIN
    return AuthGate(AuthConfig(**config), env={} if env is None else env)


def encode_cookie_value(value: str) -> str:
    return quote(value, safe="!~*'()")


@dataclass
class Client:
    """Calls the gate like a browser would: a cookie jar, form posts, JSON posts."""

    gate: AuthGate
    jar: dict[str, str] = field(default_factory=dict)
    now: float | None = NOW
    headers: list[tuple[str, str]] = field(default_factory=list)
    client_host: str | None = None
    transport: str = field(default_factory=lambda: _active_transport)
    driver: Transport = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.driver = make_transport(self.transport, self.gate)

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | str | None = None,
        form: Mapping[str, str] | None = None,
        json_body: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
        headers: Iterable[tuple[str, str]] = (),
        cookie_header: str | None = None,
        now: float | None = None,
        absolute: bool = False,
    ) -> AuthResponse:
        """``path`` is relative to the base path, or the whole request path with ``absolute``."""
        all_headers = [*self.headers, *headers]
        if form is not None:
            body = urlencode(form).encode()
            content_type = content_type or "application/x-www-form-urlencoded"
        elif json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type is not None:
            all_headers.append(("content-type", content_type))
        if cookie_header is None and self.jar:
            cookie_header = "; ".join(f"{k}={encode_cookie_value(v)}" for k, v in self.jar.items())
        if cookie_header is not None:
            all_headers.append(("cookie", cookie_header))
        query_string = query if isinstance(query, str) else urlencode(query or {})
        full_path = path if absolute else self.gate.base_path + path
        raw = Raw(method, full_path, query_string, all_headers, body or b"", self.client_host)
        response = await self.driver.send(raw, self.now if now is None else now)
        self.store(response.cookies)
        return response

    def store(self, cookies: Iterable[Cookie]) -> None:
        for cookie in cookies:
            if cookie.max_age == 0:
                self.jar.pop(cookie.name, None)
            else:
                self.jar[cookie.name] = cookie.value

    async def get(self, path: str, **kw: Any) -> AuthResponse:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, **kw: Any) -> AuthResponse:
        return await self.request("POST", path, **kw)

    async def csrf(self) -> str:
        response = await self.get("/csrf")
        token: str = json.loads(response.body)["csrfToken"]
        return token

    async def sign_in(
        self, username: str = "ada", password: str = PASSWORD, **extra: str
    ) -> AuthResponse:
        token = await self.csrf()
        form = {"csrfToken": token, "username": username, "password": password, **extra}
        return await self.post("/callback/credentials", form=form)

    def session_token(self) -> str | None:
        return authjwt.read_chunked_cookie(self.jar, SESSION)


def body_json(response: AuthResponse) -> Any:
    return json.loads(response.body)


def set_cookies(response: AuthResponse) -> dict[str, Cookie]:
    """The response's cookies by name (the last instruction for a name wins)."""
    return {c.name: c for c in response.cookies}


def cookie_names(response: AuthResponse) -> list[str]:
    return [c.name for c in response.cookies]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def decode_session(response: AuthResponse, *, now: float = NOW, secret: str = SECRET) -> Any:
    """Decode the session token the response sets (chunks joined)."""
    values = {c.name: c.value for c in response.cookies if c.max_age != 0}
    token = authjwt.read_chunked_cookie(values, SESSION)
    assert token, f"no session cookie in {list(values)}"
    return authjwt.decode(token, secret, now=now)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    names = [t for t in TRANSPORTS if module not in ON_THE_SERVER_LOOP or t not in SYNC]
    metafunc.parametrize("transport", names, indirect=True)


@pytest.fixture(autouse=True)
def transport(request: pytest.FixtureRequest) -> Iterator[str]:
    """The integration every :class:`Client` of the test goes through."""
    global _active_transport
    _active_transport = getattr(request, "param", "core")
    yield _active_transport
    _active_transport = "core"


@pytest.fixture
def gate() -> AuthGate:
    return make_gate()


@pytest.fixture
def client(gate: AuthGate) -> Client:
    return Client(gate)
