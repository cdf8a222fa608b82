"""Routing (v4 ``core/index.ts``): every route and method, the 400/404 answers, /providers."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authgate import AuthRequest
from authgate.providers import Credentials

from .conftest import (
    CALLBACK,
    CSRF,
    ORIGIN,
    SECRET,
    URL,
    Client,
    body_json,
    check_password,
    cookie_names,
    make_gate,
    set_cookies,
)

pytestmark = pytest.mark.anyio

NO_CACHE = [
    ("cache-control", "private, no-cache, no-store"),
    ("pragma", "no-cache"),
    ("expires", "0"),
]


def not_supported(method: str) -> bytes:
    return f"Error: This action with HTTP {method} is not supported by NextAuth.js".encode()


async def test_providers_lists_every_provider_in_order_without_cookies() -> None:
    gate = make_gate(
        providers=[
            Credentials(authorize=check_password, id="password", name="Password"),
            Credentials(authorize=check_password),
        ]
    )
    response = await Client(gate).get("/providers")
    assert response.status == 200
    assert response.header("content-type") == "application/json; charset=utf-8"
    assert response.cookies == []
    body = body_json(response)
    assert list(body) == ["password", "credentials"]
    assert body["password"] == {
        "id": "password",
        "name": "Password",
        "type": "credentials",
        "signinUrl": f"{URL}/signin/password",
        "callbackUrl": f"{URL}/callback/password",
    }


async def test_csrf_returns_a_token_no_cache_headers_and_the_signed_cookie() -> None:
    client = Client(make_gate())
    response = await client.get("/csrf")
    assert response.status == 200
    assert response.headers == [("content-type", "application/json; charset=utf-8"), *NO_CACHE]
    token = body_json(response)["csrfToken"]
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    cookies = set_cookies(response)
    assert set(cookies) == {CSRF, CALLBACK}
    csrf_cookie = cookies[CSRF].serialize()
    assert re.fullmatch(
        rf"{CSRF}={token}%7C[0-9a-f]{{64}}; Path=/; HttpOnly; SameSite=Lax", csrf_cookie
    )
    assert cookies[CALLBACK].serialize() == (
        f"{CALLBACK}=http%3A%2F%2Flocalhost%3A3000; Path=/; HttpOnly; SameSite=Lax"
    )


async def test_csrf_token_is_reused_while_the_cookie_is_valid() -> None:
    client = Client(make_gate())
    first = body_json(await client.get("/csrf"))["csrfToken"]
    again = await client.get("/csrf")
    assert body_json(again)["csrfToken"] == first
    assert again.cookies == []  # nothing to refresh: both init cookies are current


async def test_csrf_cookie_signed_with_another_secret_is_replaced() -> None:
    other = Client(make_gate(secret="another-secret"))
    await other.get("/csrf")
    client = Client(make_gate(), jar=dict(other.jar))
    response = await client.get("/csrf")
    assert body_json(response)["csrfToken"] != other.jar[CSRF].split("|")[0]
    assert CSRF in cookie_names(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/foo"),
        ("POST", "/foo"),
        ("DELETE", "/session"),
        ("PUT", "/session"),
        ("PATCH", "/csrf"),
        ("HEAD", "/csrf"),
        ("HEAD", "/session"),
        ("OPTIONS", "/providers"),
        ("GET", "/_log"),
        ("POST", "/providers"),
        ("POST", "/csrf"),
        ("POST", "/error"),
        ("POST", "/verify-request"),
        ("GET", "/session/extra/more"),
        ("GET", "/callback/unknown"),
        ("POST", "/callback/unknown"),
    ],
)
async def test_unsupported_actions_and_methods_are_a_plain_400_without_cookies(
    method: str, path: str, transport: str
) -> None:
    response = await Client(make_gate()).request(method, path)
    assert response.status == 400
    # werkzeug sends no body for HEAD (as HTTP wants; servers drop it too).
    headless = method == "HEAD" and transport == "flask"
    assert response.body == (b"" if headless else not_supported(method))
    assert response.cookies == []
    assert response.redirect is None


async def test_a_strange_method_is_not_echoed(transport: str) -> None:
    response = await Client(make_gate()).request("GET\r\nX-Evil: 1", "/session")
    if transport == "flask":  # werkzeug's router refuses a method no rule lists
        assert response.status == 405
        assert b"X-Evil" not in response.body
        return
    assert response.status == 400
    assert response.body == not_supported("?")


@pytest.mark.parametrize("path", ["/api/auth", "/api/auth/", "/api/authx/session", "/session", "/"])
async def test_paths_outside_the_base_path_are_404(path: str) -> None:
    response = await Client(make_gate()).get(path, absolute=True)
    assert response.status == 404
    assert response.cookies == []


async def test_log_answers_200_empty_without_cookies() -> None:
    response = await Client(make_gate()).post(
        "/_log", form={"level": "error", "code": "CLIENT_FETCH_ERROR", "client": "true"}
    )
    assert (response.status, response.body, response.cookies) == (200, b"", [])


@pytest.mark.parametrize(
    ("config", "base", "url"),
    [
        ({"url": "https://ex.com/app/api/authentication"}, "/app/api/authentication", None),
        ({"url": "https://ex.com"}, "/api/auth", "https://ex.com/api/auth"),
        ({"url": "https://ex.com/", "base_path": "/auth"}, "/auth", "https://ex.com/auth"),
        ({"url": "ex.com/id"}, "/id", "https://ex.com/id"),
    ],
)
async def test_base_path_comes_from_the_url_or_the_option(
    config: dict[str, Any], base: str, url: str | None
) -> None:
    gate = make_gate(**config)
    assert gate.base_path == base
    client = Client(gate)
    response = await client.get("/providers")
    expected = url or f"https://ex.com{base}"
    assert body_json(response)["credentials"]["signinUrl"] == f"{expected}/signin/credentials"
    outside = await client.get("/api/auth/providers", absolute=True)
    assert outside.status == (200 if base == "/api/auth" else 404)


async def test_signin_post_with_valid_csrf_for_credentials_goes_to_the_signin_page() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    response = await client.post("/signin/credentials", form={"csrfToken": token})
    assert (response.status, response.redirect) == (302, f"{URL}/signin")
    assert response.header("location") == f"{URL}/signin"


@pytest.mark.parametrize("with_token", [True, False])
async def test_signin_post_to_an_unknown_provider_or_without_csrf_is_csrf_true(
    with_token: bool,
) -> None:
    client = Client(make_gate())
    token = await client.csrf()
    form = {"csrfToken": token} if with_token else {}
    provider = "nope" if with_token else "credentials"
    response = await client.post(f"/signin/{provider}", form=form)
    assert (response.status, response.redirect) == (302, f"{URL}/signin?csrf=true")


async def test_credentials_callback_get_is_refused() -> None:
    # v4 answers 500; a client error is a 400 here (deviation).
    response = await Client(make_gate()).get("/callback/credentials")
    assert response.status == 400
    assert response.body == b"Error: Callback for provider type credentials not supported"
    assert b"<" not in response.body


async def test_the_gate_handles_a_request_built_by_hand() -> None:
    gate = make_gate(secret=SECRET)
    response = await gate.handle(AuthRequest(method="GET", path="/api/auth/providers"))
    assert response.status == 200
    callback = body_json(response)["credentials"]["callbackUrl"]
    assert callback == f"{ORIGIN}/api/auth/callback/credentials"
