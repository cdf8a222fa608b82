"""ASGI scope -> AuthRequest: the one-pass conversion equals the general ``AuthRequest.build``."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, patch

import pytest

from authgate import AuthConfig, AuthGate, AuthRequest
from authgate.integrations.asgi import full_path, request_from_scope, session_of_scope
from authgate.providers import Credentials
from authgate.testing.sessions import session_cookies

COOKIE = b"next-auth.session-token=abc; next-auth.csrf-token=t%7Ch; theme=dark"


def scope(headers: list[tuple[bytes, bytes]], **extra: Any) -> dict[str, Any]:
    return {
        "type": "http", "method": "GET", "scheme": "https", "path": "/api/auth/session",
        "root_path": "", "query_string": b"", "headers": headers, "client": ("10.0.0.1", 1),
        **extra,
    }  # fmt: skip


def general(s: dict[str, Any], body: bytes = b"") -> AuthRequest:
    client = s.get("client")
    return AuthRequest.build(
        method=s.get("method", "GET"),
        path=full_path(s),
        query_string=s.get("query_string", b""),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in s.get("headers", ())],
        body=body,
        client_host=client[0] if client else None,
        scheme=s.get("scheme", "http"),
    )


CASES = {
    "browser": scope([(b"host", b"a.example"), (b"cookie", COOKIE), (b"accept", b"*/*")]),
    "no headers": scope([]),
    "no cookie": scope([(b"host", b"a.example")]),
    "empty cookie": scope([(b"cookie", b"")]),
    "two cookie headers (HTTP/2)": scope([(b"cookie", b"a=1"), (b"cookie", b"b=2; a=3")]),
    "repeated header": scope([(b"x-forwarded-for", b"1.1.1.1"), (b"x-forwarded-for", b"2.2.2.2")]),
    "upper-case names": scope([(b"Host", b"a.example"), (b"Cookie", b"a=1")]),
    "duplicate cookie names": scope([(b"cookie", b"a=1; a=2")]),
    "latin-1 value": scope([(b"cookie", "a=\xe9".encode("latin-1"))]),
    "query": scope([(b"cookie", b"a=1")], query_string=b"callbackUrl=%2Fx&callbackUrl=%2Fy&e="),
    "lower-case method": scope([], method="post"),
    "mounted": scope([], root_path="/app", path="/app/api/auth/session"),
    "tuple of headers, no client": {**scope([]), "headers": ((b"host", b"h"),), "client": None},
}


@pytest.mark.parametrize("name", CASES)
def test_the_fast_conversion_equals_the_general_one(name: str) -> None:
    s = CASES[name]
    assert request_from_scope(s, b"body") == general(s, b"body")
    assert type(request_from_scope(s)) is AuthRequest


def test_a_header_iterable_that_is_not_a_list_is_read_once() -> None:
    s = scope([])
    s["headers"] = iter([(b"host", b"h"), (b"cookie", b"a=1")])
    made = request_from_scope(s)
    assert made.headers == {"host": "h", "cookie": "a=1"}
    assert made.cookies == {"a": "1"}


def test_requests_with_the_same_cookie_header_share_read_only_cookies() -> None:
    browser = CASES["browser"]
    first, second = request_from_scope(browser), request_from_scope(dict(browser))
    assert first.cookies is second.cookies, "parsed once"
    assert first.cookies == general(browser).cookies
    with pytest.raises(TypeError):
        first.cookies["next-auth.session-token"] = "changed"  # type: ignore[index]
    assert request_from_scope(browser).cookies["next-auth.session-token"] == "abc"


def test_a_long_cookie_header_is_parsed_every_time_as_before() -> None:
    long = scope([(b"cookie", COOKIE + b"; big=" + b"x" * 5000)])
    first, second = request_from_scope(long), request_from_scope(long)
    assert first.cookies == second.cookies == general(long).cookies
    assert first.cookies is not second.cookies


def test_headers_decoded_on_first_use_behave_as_the_decoded_dict() -> None:
    s = CASES["browser"]
    headers, decoded = request_from_scope(s).headers, general(s).headers
    assert headers == decoded
    assert decoded == headers
    assert dict(headers) == decoded
    assert sorted(headers) == sorted(decoded)
    assert len(headers) == len(decoded) == 3
    assert headers["host"] == "a.example"
    assert headers.get("accept") == "*/*"
    assert "cookie" in headers
    assert "x-missing" not in headers
    assert headers.get("x-missing") is None
    assert headers.get("x-missing", "d") == "d"
    with pytest.raises(KeyError):
        headers["x-missing"]
    assert repr(headers) == repr(dict(headers))
    assert headers != {"host": "a.example"}


# The session read of an ASGI request (FastAPI's session_dependency, ProtectMiddleware) parses
# only the Cookie header unless the cookie names depend on the request.

USER = {"id": "1", "name": "Ada", "email": "ada@example.com"}


def _gate(**config: Any) -> AuthGate:
    provider = Credentials(authorize=lambda credentials, request: None)
    return AuthGate(AuthConfig(providers=[provider], secret="s" * 32, **config), env={})


def _session_scope(cookies: dict[str, str], *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()
    return scope([(b"host", b"a.example"), *headers, (b"cookie", cookie)], scheme="http")


@pytest.mark.anyio
async def test_the_session_read_of_a_scope_takes_the_secure_name_from_trusted_forwarding() -> None:
    gate = _gate(trust_host=True)
    secure = await session_cookies(gate, USER, secure=True)
    forwarded = (b"x-forwarded-proto", b"https")
    assert await session_of_scope(_session_scope(secure, forwarded), gate) is not None
    assert await session_of_scope(_session_scope(secure), gate) is None  # plain http: other name
    plain = await session_cookies(gate, USER, secure=False)
    assert await session_of_scope(_session_scope(plain), gate) is not None
    assert await session_of_scope(_session_scope(plain, forwarded), gate) is None


@pytest.mark.anyio
async def test_the_session_read_of_a_scope_takes_the_secure_name_from_the_configured_url() -> None:
    gate = _gate(url="https://a.example/api/auth")
    secure = await session_cookies(gate, USER)
    assert next(iter(secure)).startswith("__Secure-")
    assert await session_of_scope(_session_scope(secure), gate) is not None
    upper = scope([(b"Cookie", "; ".join(f"{k}={v}" for k, v in secure.items()).encode())])
    assert await session_of_scope(upper, gate) is not None  # the general path agrees


@pytest.mark.anyio
async def test_the_session_read_of_a_scope_goes_through_an_overridden_get_session() -> None:
    seen: list[AuthRequest] = []

    class Audited(AuthGate):
        async def get_session(self, request: AuthRequest, *, now: float | None = None) -> Any:
            seen.append(request)
            return await super().get_session(request, now=now)

    gate = Audited(
        AuthConfig(
            providers=[Credentials(authorize=lambda c, r: None)],
            secret="s" * 32,
            url="http://a.example/api/auth",
        ),
        env={},
    )
    cookies = await session_cookies(gate, USER)
    assert await session_of_scope(_session_scope(cookies), gate) is not None
    assert len(seen) == 1
    assert seen[0].cookies == cookies


@pytest.mark.anyio
async def test_the_session_read_of_a_scope_goes_through_a_patched_get_session() -> None:
    gate = _gate(url="http://a.example/api/auth")
    cookies = await session_cookies(gate, USER)
    fake = {"user": {"name": "Mocked"}, "expires": "2030-01-01T00:00:00.000Z"}
    with patch.object(gate, "get_session", AsyncMock(return_value=fake)) as mocked:
        assert await session_of_scope(_session_scope(cookies), gate) == fake
    mocked.assert_awaited_once()
