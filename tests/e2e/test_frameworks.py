"""The Flask, Django and Litestar examples in Chromium: built-in sign-in page, a custom sign-in
page rendered by the framework's own templates, a protected page, sign-out.

Flask and Django run under gunicorn with 2 workers (Flask sync, Django gthread), so the
browser's requests land on either worker; Litestar under uvicorn.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from examples.shared import DEMO_PASSWORD, DEMO_USERNAME
from playwright.sync_api import expect

from _support.components import REPO_ROOT
from _support.servers import gunicorn, serve
from e2e.conftest import CREDENTIALS_SIGNIN_MESSAGE, TEST_SECRET, fill_builtin_form, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.e2e


def _env(origin: str) -> dict[str, str]:
    return {"AUTH_SECRET": TEST_SECRET, "AUTH_URL": f"{origin}/api/auth"}


@pytest.fixture(scope="module", params=["flask", "django", "litestar"])
def origin(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    framework: str = request.param
    if framework == "flask":
        with gunicorn("examples.flask_app:create_app()", env=_env) as running:
            yield running
    elif framework == "django":
        database = {"AUTHGATE_DJANGO_DB": str(tmp_path_factory.mktemp("django") / "db.sqlite3")}
        subprocess.run(
            [sys.executable, "-c", "from examples.django_project.setup import setup; setup()"],
            env={"PYTHONPATH": str(REPO_ROOT), **database},
            cwd=REPO_ROOT,
            check=True,
            timeout=120,
        )
        app = "examples.django_project.wsgi:application"
        with gunicorn(
            app, env=lambda o: {**_env(o), **database}, worker_class="gthread"
        ) as running:
            yield running
    else:
        from examples.litestar_app import create_app

        def make(origin: str) -> object:
            return create_app(url=f"{origin}/api/auth", secret=TEST_SECRET)

        with serve(make) as running:
            yield running


def framework_of(origin: str, page: Page) -> str:
    return page.title().split("authgate ")[-1].split()[0].lower()


def fill_custom_form(page: Page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_a_protected_page_goes_through_the_builtin_sign_in_and_back(
    page: Page, origin: str
) -> None:
    page.goto(f"{origin}/dashboard")
    expect(page).to_have_url(f"{origin}/api/auth/signin?callbackUrl=%2Fdashboard")
    fill_builtin_form(page, DEMO_USERNAME, "wrong password")
    expect(page.locator(".error")).to_have_text(CREDENTIALS_SIGNIN_MESSAGE)
    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{origin}/dashboard")
    expect(page.locator("#user-name")).to_have_text("Demo User")


def test_the_custom_sign_in_page_of_the_framework_signs_in(
    page: Page, context: BrowserContext, origin: str
) -> None:
    page.goto(origin)
    page.click("#custom-sign-in")
    expect(page).to_have_url(f"{origin}/auth/signin")
    # getCsrfToken(): the framework's page set the CSRF cookie whose token its form carries.
    token = page.locator("input[name=csrfToken]").get_attribute("value")
    [cookie] = [c for c in context.cookies() if c["name"] == "next-auth.csrf-token"]
    assert token
    assert cookie["value"].startswith(f"{token}%7C")
    screenshot(page, f"custom-signin-{framework_of(origin, page)}")
    fill_custom_form(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{origin}/")
    expect(page.locator("#user-name")).to_have_text("Demo User")


def test_sign_out_ends_the_session(page: Page, context: BrowserContext, origin: str) -> None:
    page.goto(f"{origin}/auth/signin?callbackUrl=%2Fdashboard")
    fill_custom_form(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{origin}/dashboard")
    page.click("#sign-out")
    expect(page).to_have_url(f"{origin}/api/auth/signout")
    page.click("#submitButton")
    # Back to the callback URL of the sign-in, the dashboard: it now sends to sign-in.
    expect(page).to_have_url(f"{origin}/api/auth/signin?callbackUrl=%2Fdashboard")
    assert [c for c in context.cookies() if "session-token" in c["name"]] == []
    page.goto(origin)
    expect(page.locator("#sign-in")).to_be_visible()
    response = page.request.get(f"{origin}/api/me")
    assert (response.status, response.json()) == (401, {"error": "SessionRequired"})
