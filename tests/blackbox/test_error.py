"""GET /error[/code] and /verify-request (v4 ``core/pages``): pages and redirects."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authgate import PagesConfig

from .conftest import (
    CALLBACK,
    CSRF,
    ORIGIN,
    URL,
    Client,
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
