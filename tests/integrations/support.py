"""A gate with one Credentials user, and helpers shared by the integration tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

from authgate import AuthConfig, AuthGate, AuthRequest, PagesConfig
from authgate.providers import Credentials

SECRET = "integration-secret-8d2c"
BASE_URL = "http://testserver"
USER = {"id": "u1", "name": "Ada", "email": "ada@example.com", "image": "https://i.example/a"}


def authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    if credentials.get("username") == "ada" and credentials.get("password") == "pw":
        return USER
    return None


def make_gate(*, sign_in_page: str | None = None) -> AuthGate:
    provider = Credentials(
        authorize=authorize,
        credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
    )
    return AuthGate(
        AuthConfig(
            providers=[provider],
            secret=SECRET,
            trust_host=True,
            pages=PagesConfig(sign_in=sign_in_page),
        )
    )


def client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL)


def set_cookie_names(response: httpx.Response) -> list[str]:
    return [h.split("=", 1)[0] for h in response.headers.get_list("set-cookie")]


async def sign_in(http: httpx.AsyncClient, *, password: str = "pw") -> httpx.Response:  # noqa: S107
    """The next-auth client's credentials sign-in: GET /csrf, then POST the form."""
    csrf = (await http.get("/api/auth/csrf")).json()["csrfToken"]
    return await http.post(
        "/api/auth/callback/credentials",
        data={"csrfToken": csrf, "username": "ada", "password": password},
    )


def hidden_csrf(html: str) -> str:
    match = re.search(r'name="csrfToken" value="([0-9a-f]{64})"', html)
    assert match, html
    return match.group(1)
