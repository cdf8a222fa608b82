"""Sign in, read the session, fail, sign out: through the built-in pages in Chromium."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from examples.demo import DEMO_PASSWORD, DEMO_USERNAME
from playwright.sync_api import expect

from e2e.conftest import (
    CREDENTIALS_SIGNIN_MESSAGE,
    fill_builtin_form,
    screenshot,
    sign_in,
)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e


def session_cookies(context: BrowserContext) -> list[str]:
    return [c["name"] for c in context.cookies() if "session-token" in c["name"]]


def test_sign_in_through_the_builtin_page(page: Page, server: str) -> None:
    page.goto(server)
    page.click("#sign-in")
    expect(page).to_have_url(f"{server}/api/auth/signin?callbackUrl=%2F")
    expect(page.locator("#submitButton").first).to_have_text("Sign in with Username")
    screenshot(page, "builtin-signin")

    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{server}/")
    expect(page.locator("#user-name")).to_have_text("Demo User")
    screenshot(page, "home-signed-in")


def test_session_endpoint_shows_the_user(page: Page, context: BrowserContext, server: str) -> None:
    sign_in(page, server)

    response = page.goto(f"{server}/api/auth/session")

    assert response is not None
    assert response.status == 200
    session = response.json()
    assert session["user"] == {"name": "Demo User", "email": "demo@example.com"}
    assert session["expires"].endswith("Z")
    assert '"Demo User"' in page.locator("body").inner_text()
    [cookie] = [c for c in context.cookies() if c["name"] == "next-auth.session-token"]
    assert cookie["httpOnly"]
    assert cookie["sameSite"] == "Lax"


def test_wrong_password_shows_the_credentials_signin_message(
    page: Page, context: BrowserContext, server: str
) -> None:
    page.goto(f"{server}/api/auth/signin")

    fill_builtin_form(page, DEMO_USERNAME, "not-the-password")

    expect(page).to_have_url(f"{server}/api/auth/signin?error=CredentialsSignin")
    expect(page.locator(".error")).to_have_text(CREDENTIALS_SIGNIN_MESSAGE)
    assert session_cookies(context) == []
    screenshot(page, "builtin-signin-error")


def test_unknown_user_gets_the_same_message(page: Page, server: str) -> None:
    page.goto(f"{server}/api/auth/signin")

    fill_builtin_form(page, "nobody", DEMO_PASSWORD)

    expect(page).to_have_url(f"{server}/api/auth/signin?error=CredentialsSignin")
    expect(page.locator(".error")).to_have_text(CREDENTIALS_SIGNIN_MESSAGE)


def test_sign_out_through_the_builtin_page(
    page: Page, context: BrowserContext, server: str
) -> None:
    sign_in(page, server)
    page.click("#sign-out")
    expect(page).to_have_url(f"{server}/api/auth/signout")
    expect(page.locator("h1")).to_have_text("Signout")
    screenshot(page, "builtin-signout")

    page.click("#submitButton")

    expect(page).to_have_url(f"{server}/")
    expect(page.locator("#sign-in")).to_be_visible()
    assert session_cookies(context) == []
    response = page.goto(f"{server}/api/auth/session")
    assert response is not None
    assert response.json() == {}


def test_protected_page_redirects_to_sign_in_and_back(page: Page, server: str) -> None:
    page.goto(f"{server}/dashboard")

    expect(page).to_have_url(f"{server}/api/auth/signin?callbackUrl=%2Fdashboard")
    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{server}/dashboard")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("#user-name")).to_have_text("Demo User")


def test_failed_attempt_keeps_the_callback_url(page: Page, server: str) -> None:
    page.goto(f"{server}/dashboard")
    fill_builtin_form(page, DEMO_USERNAME, "not-the-password")
    expect(page.locator(".error")).to_have_text(CREDENTIALS_SIGNIN_MESSAGE)

    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{server}/dashboard")


def test_protected_api_answers_401_then_the_session(page: Page, server: str) -> None:
    response = page.goto(f"{server}/api/me")
    assert response is not None
    assert response.status == 401
    assert response.json() == {"detail": "SessionRequired"}

    sign_in(page, server)
    response = page.goto(f"{server}/api/me")

    assert response is not None
    assert response.status == 200
    assert response.json()["user"]["name"] == "Demo User"
