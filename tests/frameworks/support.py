"""Shared by the framework tests: a gate, a WSGI client, the credentials sign-in."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

from authgate import AuthConfig, AuthGate, AuthRequest, PagesConfig
from authgate.providers import Credentials

if TYPE_CHECKING:
    from collections.abc import Callable

SECRET = "frameworks-test-secret-0123456789abcdef"
USER = {"id": "u1", "name": "Ada", "email": "ada@example.com"}


def authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    if credentials.get("username") == "ada" and credentials.get("password") == "pw":
        return dict(USER)
    return None


def make_gate(
    *, url: str = "http://testserver/api/auth", sign_in_page: str | None = None, **config: Any
) -> AuthGate:
    config.setdefault("providers", [Credentials(authorize=authorize)])
    return AuthGate(
        AuthConfig(secret=SECRET, url=url, pages=PagesConfig(sign_in=sign_in_page), **config),
        env={},
    )


def wsgi_client(app: Callable[..., Any], *, script_name: str = "") -> httpx.Client:
    """A client of ``app``; with ``script_name``, as mounted under it (paths are after it)."""
    transport = httpx.WSGITransport(app=app, script_name=script_name)
    return httpx.Client(transport=transport, base_url="http://testserver")


def sign_in(http: httpx.Client, *, api: str = "/api/auth", password: str = "pw") -> httpx.Response:  # noqa: S107
    csrf = http.get(f"{api}/csrf").json()["csrfToken"]
    return http.post(
        f"{api}/callback/credentials",
        data={"csrfToken": csrf, "username": "ada", "password": password},
    )


def hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrfToken" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, html
    return match.group(1)
