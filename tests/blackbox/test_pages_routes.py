"""GET /signin, /error[/code], /verify-request (spec §2.6, §7.3, §8): pages and redirects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authgate import PagesConfig
from authgate.providers import Credentials

from .conftest import (
    CALLBACK,
    CSRF,
    ORIGIN,
    URL,
    Client,
    check_password,
    make_gate,
    set_cookies,
)

if TYPE_CHECKING:
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

SIGN_IN_CODES = [
    "Signin",
    "OAuthSignin",
    "OAuthCallback",
    "OAuthCreateAccount",
    "EmailCreateAccount",
    "Callback",
    "OAuthAccountNotLinked",
    "EmailSignin",
    "CredentialsSignin",
    "SessionRequired",
]
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


# -- /signin ---------------------------------------------------------------------------------


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


# -- /error ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", SIGN_IN_CODES)
async def test_sign_in_codes_are_forwarded_to_the_signin_page(code: str) -> None:
    response = await Client(make_gate()).get(
        "/error", query={"error": code, "provider": "credentials"}
    )
    assert (response.status, response.redirect) == (302, f"{URL}/signin?error={code}")


async def test_the_error_path_form_works_like_the_query() -> None:
    client = Client(make_gate())
    forwarded = await client.get("/error/CredentialsSignin")
    assert forwarded.redirect == f"{URL}/signin?error=CredentialsSignin"
    page = assert_page(await client.get("/error/Verification"), 403)
    assert "<h1>Unable to sign in</h1>" in page


@pytest.mark.parametrize(
    ("query", "status", "heading"),
    [
        ({}, 200, "Error"),
        ({"error": "Default"}, 200, "Error"),
        ({"error": "Unknown<script>"}, 200, "Error"),
        ({"error": "Configuration"}, 500, "Server error"),
        ({"error": "configuration"}, 500, "Server error"),
        ({"error": "AccessDenied"}, 403, "Access Denied"),
        ({"error": "accessdenied"}, 403, "Access Denied"),
        ({"error": "Verification"}, 403, "Unable to sign in"),
    ],
)
async def test_built_in_error_page_statuses(
    query: dict[str, str], status: int, heading: str
) -> None:
    response = await Client(make_gate()).get("/error", query=query)
    html = assert_page(response, status)
    assert f"<h1>{heading}</h1>" in html
    assert "<script>" not in html
    assert set(set_cookies(response)) == {CSRF, CALLBACK}


async def test_the_default_error_page_links_to_the_site() -> None:
    html = assert_page(await Client(make_gate()).get("/error"))
    assert f'<a class="site" href="{ORIGIN}">localhost:3000</a>' in html


async def test_access_denied_page_links_to_signin() -> None:
    response = await Client(make_gate()).get("/error", query={"error": "AccessDenied"})
    html = assert_page(response, 403)
    assert f'href="{URL}/signin"' in html


@pytest.mark.parametrize(
    ("error_page", "code", "location"),
    [
        ("/oops", "AccessDenied", "/oops?error=AccessDenied"),
        ("/oops?x=1", "Verification", "/oops?x=1&error=Verification"),
        ("/oops", "a b&c=<d>", "/oops?error=a%20b%26c%3D%3Cd%3E"),
        ("/oops", None, "/oops?error=Default"),
        ("/oops", "CredentialsSignin", f"{URL}/signin?error=CredentialsSignin"),
    ],
)
async def test_a_custom_error_page_gets_the_encoded_code(
    error_page: str, code: str | None, location: str
) -> None:
    client = Client(make_gate(pages=PagesConfig(error=error_page)))
    response = await client.get("/error", query={"error": code} if code else {})
    assert (response.status, response.redirect) == (302, location)


# -- /verify-request -------------------------------------------------------------------------


async def test_verify_request_page() -> None:
    response = await Client(make_gate()).get(
        "/verify-request", query={"provider": "email", "type": "email"}
    )
    html = assert_page(response)
    assert "<h1>Check your email</h1>" in html
    assert f'href="{ORIGIN}"' in html


async def test_verify_request_custom_page_redirect_without_params() -> None:
    client = Client(make_gate(pages=PagesConfig(verify_request="/check-mail")))
    response = await client.get("/verify-request", query={"provider": "email"})
    assert (response.status, response.redirect) == (302, "/check-mail")
