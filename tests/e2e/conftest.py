"""e2e fixtures: the demo app on a real uvicorn server, driven by a real (Debian) Chromium.

One browser for the whole folder (``scope="package"``), one server per module, a fresh
browser context (no cookies) per test. Servers run in a thread on a socket bound here, so
the port is known before the app is built and no wait-until-ready loop is needed: the
kernel queues the first connection until uvicorn accepts it.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from _support.components import CHROMIUM_ARGS, REPO_ROOT, chromium_path
from _support.servers import serve

if str(REPO_ROOT) not in sys.path:  # `examples` lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from examples.demo import DEMO_PASSWORD, DEMO_USERNAME, create_app

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from fastapi import FastAPI

SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
TEST_SECRET = "e2e-test-secret-0123456789abcdefghijklmnopqrstuvwxyz"
CREDENTIALS_SIGNIN_MESSAGE = "Sign in failed. Check the details you provided are correct."

expect.set_options(timeout=10_000)


def demo_app(tmp_path: Path, **options: Any) -> Callable[[str], FastAPI]:
    """A factory for :func:`serve`: the demo app with its own database under ``tmp_path``."""

    def make(origin: str) -> FastAPI:
        return create_app(
            db_path=tmp_path / "demo.db", secret=TEST_SECRET, url=f"{origin}/api/auth", **options
        )

    return make


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo app with its default configuration; yields its origin."""
    with serve(demo_app(tmp_path_factory.mktemp("demo")), ready_path="/static/logo.svg") as origin:
        yield origin


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole e2e folder."""
    executable = chromium_path()  # skips, or fails when CI=true, without Chromium
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=list(CHROMIUM_ARGS), headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile: no cookies."""
    context = browser.new_context()
    yield context
    context.close()


@contextmanager
def watched(context: BrowserContext, *, allowed: tuple[str, ...] = ("401",)) -> Iterator[Page]:
    """A page that fails the test on any console error (a CSP violation, a failed load)
    but those containing one of ``allowed``."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    unexpected = [e for e in errors if not any(a in e for a in allowed)]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """A watched page; 401 from /api/me is expected by some tests (Chromium logs it)."""
    with watched(context) as page:
        yield page


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot to ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def fill_builtin_form(page: Page, username: str, password: str) -> None:
    """Fill and submit the credentials form of the built-in sign-in page."""
    page.fill("#input-username-for-credentials-provider", username)
    page.fill("#input-password-for-credentials-provider", password)
    page.click("form[action$='/callback/credentials'] #submitButton")


def sign_in(page: Page, origin: str, callback_path: str = "/") -> None:
    """Sign in as the demo user through the built-in page and wait for the landing page."""
    page.goto(f"{origin}/api/auth/signin?callbackUrl={callback_path}")
    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{origin}{callback_path}")
