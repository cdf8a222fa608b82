"""OAuth in a real browser: Chromium signs in through a real OpenID provider (oidc-provider).

The built-in sign-in page shows the provider's button; clicking it goes to the provider's login
and consent pages, and back to the app signed in, with the provider's user in the session.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, expect
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from authgate import AuthConfig, AuthGate
from authgate.integrations.asgi import AuthApp
from authgate.providers import OIDC, ProviderStyle

from .conftest import TEST_SECRET, screenshot, serve

if TYPE_CHECKING:
    from collections.abc import Iterator

    from starlette.requests import Request

pytestmark = pytest.mark.e2e

LOGO = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E"


def make_app(origin: str, issuer: str) -> Starlette:
    gate = AuthGate(
        AuthConfig(
            providers=[
                OIDC(
                    id="oidc",
                    name="Test OIDC",
                    issuer=issuer,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    style=ProviderStyle(logo=LOGO, bg="#24292f", text="#fff"),
                )
            ],
            secret=TEST_SECRET,
            url=f"{origin}/api/auth",
        ),
        env={},
    )

    async def home(request: Request) -> Response:
        return PlainTextResponse("home")

    async def logo(request: Request) -> Response:  # what conftest.serve waits for
        return Response("<svg/>", media_type="image/svg+xml")

    return Starlette(
        routes=[
            Route("/", home),
            Route("/static/logo.svg", logo),
            Route("/favicon.ico", logo),
            Mount("/api/auth", app=AuthApp(gate)),
        ]
    )


@pytest.fixture(scope="module")
def oauth_server() -> Iterator[str]:
    with ExitStack() as stack:

        def make(origin: str) -> Starlette:
            redirect = f"{origin}/api/auth/callback/oidc"
            issuer = stack.enter_context(oidc_provider([redirect]))
            return make_app(origin, issuer)

        yield stack.enter_context(serve(make))


def test_sign_in_with_the_provider_button(context: BrowserContext, oauth_server: str) -> None:
    origin = oauth_server
    page = context.new_page()
    # Our pages must load cleanly; the provider's development pages are not ours to judge
    # (they reference fonts and a favicon that are not there).
    errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and m.location.get("url", "").startswith(origin)
            else None
        ),
    )
    page.goto(f"{origin}/api/auth/signin?callbackUrl=/")
    button = page.get_by_role("button", name="Sign in with Test OIDC")
    expect(button).to_be_visible()
    screenshot(page, "oauth-signin-page")
    button.click()

    # The provider's own pages (development interactions): log in, then consent.
    page.locator("input[name=login]").fill("grace")
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    expect(page.locator("button[type=submit]")).to_have_text("Continue")
    screenshot(page, "oauth-provider-consent")
    page.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{origin}/")
    session = json.loads(page.request.get(f"{origin}/api/auth/session").text())
    assert session["user"]["name"] == "Grace Lovelace"
    assert session["user"]["email"] == "grace@example.com"
    cookies = {c["name"] for c in page.context.cookies(origin)}
    assert "next-auth.session-token" in cookies
    assert not cookies & {"next-auth.state", "next-auth.pkce.code_verifier", "next-auth.nonce"}
    assert not errors, errors
