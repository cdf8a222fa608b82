"""GET /signin (v4 ``core/pages/signin.tsx``): the page, its messages, the custom-page redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authgate import PagesConfig
from authgate.providers import Credentials

from .conftest import (
    CALLBACK,
    CSRF,
    URL,
    Client,
    check_password,
    make_gate,
    set_cookies,
)

if TYPE_CHECKING:
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_page(response: AuthResponse, status: int = 200) -> str:
    assert response.status == status
    assert (response.header("content-type") or "").startswith("text/html")
    for name, value in PAGE_HEADERS.items():
        assert response.header(name) == value
    assert "frame-ancestors 'none'" in (response.header("content-security-policy") or "")
    return response.body.decode()


async def test_signin_page_has_the_credentials_form_with_the_cookie_csrf_token() -> None:
    client = Client(make_gate())
    response = await client.get("/signin")
    html = assert_page(response)
    token = client.jar[CSRF].split("|")[0]
    assert f'<form action="{URL}/callback/credentials" method="POST">' in html
    assert f'<input type="hidden" name="csrfToken" value="{token}">' in html
    assert 'name="username"' in html
    assert 'type="password"' in html
    assert "Sign in with Credentials" in html
    assert set(set_cookies(response)) == {CSRF, CALLBACK}


async def test_signin_page_reuses_an_existing_csrf_token() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    response = await client.get("/signin/anything")  # v4 quirk Q3: the provider is ignored
    assert f'name="csrfToken" value="{token}"' in assert_page(response)
    assert CSRF not in set_cookies(response)


async def test_query_cannot_override_the_csrf_token_or_inject_markup() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    response = await client.get(
        "/signin",
        query={"csrfToken": "attacker", "error": "<script>x</script>", "providers": "x"},
    )
    html = assert_page(response)
    assert f'value="{token}"' in html
    assert "attacker" not in html
    assert "<script>" not in html
    assert "Unable to sign in." in html


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("CredentialsSignin", "Sign in failed. Check the details you provided are correct."),
        ("SessionRequired", "Please sign in to access this page."),
        ("Callback", "Try signing in with a different account."),
        ("credentialssignin", "Unable to sign in."),  # case-sensitive, as in v4
    ],
)
async def test_signin_page_shows_the_message_for_the_error(code: str, message: str) -> None:
    response = await Client(make_gate()).get("/signin", query={"error": code})
    assert f"<p>{message}</p>" in assert_page(response)


async def test_signin_page_without_error_has_no_error_box() -> None:
    html = assert_page(await Client(make_gate()).get("/signin"))
    assert 'class="error"' not in html


async def test_a_credentials_provider_without_fields_is_not_listed() -> None:
    gate = make_gate(providers=[Credentials(authorize=check_password)])
    html = assert_page(await Client(gate).get("/signin"))
    assert "/callback/credentials" not in html


@pytest.mark.parametrize(
    ("sign_in", "query", "location"),
    [
        ("/login", {}, "/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000"),
        (
            "/login",
            {"callbackUrl": "/x?a=1&b=2"},
            "/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000%2Fx%3Fa%3D1%26b%3D2",
        ),
        (
            "/login?lang=en",
            {"error": "SessionRequired"},
            "/login?lang=en&callbackUrl=http%3A%2F%2Flocalhost%3A3000&error=SessionRequired",
        ),
        (
            "https://id.example/login",
            {"callbackUrl": "https://evil.example/", "error": "<b>"},
            "https://id.example/login?callbackUrl=http%3A%2F%2Flocalhost%3A3000"
            "&error=Configuration",
        ),
    ],
)
async def test_a_custom_signin_page_gets_callback_url_and_error(
    sign_in: str, query: dict[str, str], location: str
) -> None:
    client = Client(make_gate(pages=PagesConfig(sign_in=sign_in)))
    response = await client.get("/signin", query=query)
    assert (response.status, response.redirect) == (302, location)
    assert response.header("location") == location
    assert set(set_cookies(response)) == {CSRF, CALLBACK}
