"""ASGI scope -> AuthRequest: the one-pass conversion equals the general ``AuthRequest.build``."""

from __future__ import annotations

from typing import Any

import pytest

from authgate import AuthRequest
from authgate.integrations.asgi import full_path, request_from_scope

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
