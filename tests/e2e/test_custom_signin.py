"""The custom sign-in page at /auth/signin, built like next-auth's docs build theirs."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest
from examples.demo import DEMO_PASSWORD, DEMO_USERNAME
from playwright.sync_api import expect

from _support.servers import serve
from e2e.conftest import CREDENTIALS_SIGNIN_MESSAGE, demo_app, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def custom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo with ``pages.sign_in="/auth/signin"``: every sign-in goes through it."""
    with serve(demo_app(tmp_path_factory.mktemp("custom"), custom_sign_in=True)) as origin:
        yield origin


def fill_custom_form(page: Page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_custom_page_signs_in(page: Page, context: BrowserContext, server: str) -> None:
    page.goto(server)
    page.click("#custom-sign-in")
    expect(page).to_have_url(f"{server}/auth/signin")
    # getCsrfToken(): the page set the CSRF cookie whose token its form carries.
    token = page.locator("input[name=csrfToken]").get_attribute("value")
    [cookie] = [c for c in context.cookies() if c["name"] == "next-auth.csrf-token"]
    assert token
    assert cookie["value"].startswith(f"{token}%7C")
    screenshot(page, "custom-signin")

    fill_custom_form(page, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{server}/")
    expect(page.locator("#user-name")).to_have_text("Demo User")


def test_builtin_page_redirects_to_the_custom_page(page: Page, custom_server: str) -> None:
    page.goto(f"{custom_server}/api/auth/signin")

    # No callbackUrl given: v4 passes the resolved default, the site's origin.
    expect(page).to_have_url(
        f"{custom_server}/auth/signin?callbackUrl={quote(custom_server, safe='')}"
    )


def test_protected_page_goes_through_the_custom_page_and_back(
    page: Page, custom_server: str
) -> None:
    page.goto(f"{custom_server}/dashboard")
    expect(page).to_have_url(f"{custom_server}/auth/signin?callbackUrl=%2Fdashboard")

    fill_custom_form(page, DEMO_USERNAME, "not-the-password")

    # The failure comes back to the custom page with the resolved callbackUrl and the code.
    dashboard = quote(f"{custom_server}/dashboard", safe="")
    expect(page).to_have_url(
        f"{custom_server}/auth/signin?callbackUrl={dashboard}&error=CredentialsSignin"
    )
    expect(page.locator(".error")).to_have_text(CREDENTIALS_SIGNIN_MESSAGE)
    screenshot(page, "custom-signin-error")

    fill_custom_form(page, DEMO_USERNAME, DEMO_PASSWORD)

    expect(page).to_have_url(f"{custom_server}/dashboard")
    expect(page.locator("#user-name")).to_have_text("Demo User")
