"""Django under a real ASGI server (uvicorn): ``AuthBodyLimit`` refuses oversized bodies to the
auth API before Django's handler buffers them, declared or chunked; normal requests pass."""

from __future__ import annotations

import logging
import socket
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from _support.django_app import EXTRA_URLCONF, configure
from _support.servers import serve

from .support import make_gate

configure()

from django.core.handlers.asgi import ASGIHandler  # noqa: E402 - needs the settings
from django.test.utils import override_settings  # noqa: E402

from authgate.integrations.django import views  # noqa: E402
from authgate.integrations.django.asgi import LIMITED, AuthBodyLimit  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from authgate import AuthGate

LIMIT = 64 * 1024
MIDDLEWARE = [
    "django.middleware.csrf.CsrfViewMiddleware",
    "authgate.integrations.django.middleware.AuthGateMiddleware",
]


def django_asgi(gate: AuthGate, *, guarded: bool) -> Callable[[str], Any]:
    def make(origin: str) -> Any:
        handler = ASGIHandler()
        return AuthBodyLimit(handler) if guarded else handler  # base path: settings.AUTHGATE

    return make


@contextmanager
def django_server(*, guarded: bool) -> Iterator[str]:
    """uvicorn serving Django's ASGI handler; the settings hold for the server's lifetime (a
    per-request ``override_settings`` would be undone by the previous request finishing)."""
    gate = make_gate(url="http://127.0.0.1/api/auth")
    with (
        override_settings(AUTHGATE=gate, ROOT_URLCONF=EXTRA_URLCONF, MIDDLEWARE=MIDDLEWARE),
        serve(django_asgi(gate, guarded=guarded), ready_path="/api/auth/csrf") as origin,
    ):
        yield origin


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with django_server(guarded=True) as running:
        yield running


def raw_exchange(origin: str, head: str, body: bytes) -> bytes:
    """Send ``head`` and only ``body`` (less than the request announces); read the answer.

    A server that buffered the whole body first would wait for the rest: the read times out.
    """
    host, port = origin.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        answer = b""
        while not complete(answer):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


def complete(answer: bytes) -> bool:
    """The status line, the headers and ``Content-Length`` bytes of body have arrived."""
    header, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    lengths = [
        line for line in header.lower().split(b"\r\n") if line.startswith(b"content-length:")
    ]
    return not lengths or len(body) >= int(lengths[0].split(b":")[1])


def head(path: str, *headers: str) -> str:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "Connection: close"]
    return "\r\n".join(lines) + "\r\n"


def test_a_declared_oversized_body_is_refused_before_it_is_sent(origin: str) -> None:
    request = head(
        "/api/auth/signout",
        "Content-Type: application/x-www-form-urlencoded",
        f"Content-Length: {100 * 1024 * 1024}",  # 100 MiB announced, 1 KiB sent
    )
    answer = raw_exchange(origin, request, b"x" * 1024)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_chunked_body_is_refused_once_it_passes_the_limit(origin: str) -> None:
    request = head(
        "/api/auth/callback/credentials",
        "Content-Type: application/x-www-form-urlencoded",
        "Transfer-Encoding: chunked",
    )
    chunk = b"x" * 8192
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2))
    answer = raw_exchange(origin, request, body)  # no final 0-chunk: the body never ends
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert b"Payload Too Large" in answer


@pytest.mark.parametrize("path", ["/API/auth/signout", "//api/auth/./signout"])
def test_other_spellings_of_the_api_path_are_capped_too(origin: str, path: str) -> None:
    request = head(path, f"Content-Length: {LIMIT + 1}")
    assert raw_exchange(origin, request, b"").startswith(b"HTTP/1.1 413 ")


def test_a_body_within_the_limit_reaches_django_and_signs_in(origin: str) -> None:
    with httpx.Client(base_url=origin) as http:
        csrf = http.get("/api/auth/csrf").json()["csrfToken"]
        form = {"csrfToken": csrf, "username": "ada", "password": "pw"}
        form |= {f"pad{n}": "p" * 15_000 for n in range(4)}  # 60 kB: most of the limit
        signed_in = http.post("/api/auth/callback/credentials", data=form)
        assert signed_in.status_code == 302
        assert http.get("/api/auth/session").json()["user"]["name"] == "Ada"
        exactly = http.post("/api/auth/signout", content=b"a" * LIMIT)  # at the limit: read
        assert exactly.status_code != 413


def test_bodies_to_other_paths_are_not_the_guards_business(origin: str) -> None:
    with httpx.Client(base_url=origin) as http:
        response = http.post("/async-account", content=b"x" * (LIMIT * 2))
        assert response.status_code == 403  # Django's own answer (its CSRF check), not 413


def test_without_the_guard_the_async_view_refuses_late_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="authgate")
    views._warned.clear()
    with django_server(guarded=False) as unguarded:
        big = httpx.post(f"{unguarded}/api/auth/signout", content=b"x" * (LIMIT + 1))
        assert big.status_code == 413  # after Django buffered it
        httpx.post(f"{unguarded}/api/auth/signout", content=b"x" * (LIMIT + 1))
    warnings = [r for r in caplog.records if "DJANGO_ASGI_BODY_LIMIT" in r.getMessage()]
    assert len(warnings) == 1  # once per process


@pytest.mark.anyio
async def test_a_disconnect_mid_body_is_passed_on_and_other_scopes_pass_through() -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["type"], scope.get(LIMITED)))
        if scope["type"] == "http":
            seen.extend([await receive(), await receive()])

    incoming = iter(
        [
            {"type": "http.request", "body": b"abc", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> Any:
        return next(incoming)

    async def send(message: Any) -> None:
        raise AssertionError(f"nothing is sent: {message}")

    guard = AuthBodyLimit(app, base_path="/api/auth")
    scope = {"type": "http", "method": "POST", "path": "/api/auth/signout", "headers": []}
    await guard(scope, receive, send)
    await guard({"type": "lifespan"}, receive, send)
    assert seen == [
        ("http", True),
        {"type": "http.request", "body": b"abc", "more_body": True},
        {"type": "http.disconnect"},
        ("lifespan", None),
    ]
