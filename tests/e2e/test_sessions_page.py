"""The sessions page in Chromium: two devices, end the other one, light and dark themes.

Screenshots go to ``test-artifacts/screenshots/sessions-<scheme>.png``; the text of each row is
checked against the card's background for WCAG AA contrast (4.5:1) as Chromium computes them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

from _support.servers import serve
from authgate import AuthConfig, AuthGate, SessionConfig, Theme
from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.asgi import AuthApp
from authgate.providers import Credentials
from e2e.conftest import TEST_SECRET, fill_builtin_form, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

PASSWORD = "e2e sessions password"
ROWS = "[data-session-row]"
CONTRAST = """() => {
  const rgb = (s) => s.match(/\\d+/g).slice(0, 3).map(Number);
  const card = getComputedStyle(document.querySelector('.card')).backgroundColor;
  return [...document.querySelectorAll('[data-session-row] p, .card h1, .card > p')].map(
    (el) => [rgb(getComputedStyle(el).color), rgb(card)]);
}"""


def _luminance(rgb: list[int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[int], bg: list[int]) -> float:
    hi, lo = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def app_for(scheme: Literal["light", "dark"]) -> Any:
    def make(origin: str) -> Starlette:
        def authorize(credentials: Any, request: Any) -> dict[str, Any] | None:
            if credentials.get("password") != PASSWORD:
                return None
            return {"id": "ada", "name": "Ada", "email": "ada@example.com"}

        gate = AuthGate(
            AuthConfig(
                providers=[
                    Credentials(
                        name="Username",
                        credentials={
                            "username": {"label": "Username"},
                            "password": {"label": "Password", "type": "password"},
                        },
                        authorize=authorize,
                        database_session=True,
                    )
                ],
                adapter=MemoryAdapter(),
                session=SessionConfig(devices=True),
                theme=Theme(color_scheme=scheme),
                secret=TEST_SECRET,
                url=f"{origin}/api/auth",
            ),
            env={},
        )
        return Starlette(
            routes=[
                Route("/", lambda request: PlainTextResponse("home")),
                Mount("/api/auth", AuthApp(gate)),
            ]
        )

    return make


@pytest.fixture(scope="module", params=["light", "dark"])
def themed(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    with serve(app_for(request.param)) as origin:
        yield request.param, origin


def sign_in(page: Page, origin: str) -> None:
    page.goto(f"{origin}/api/auth/signin?callbackUrl=/")
    fill_builtin_form(page, "ada", PASSWORD)
    expect(page).to_have_url(f"{origin}/")


def test_two_devices_then_end_the_other(browser: Browser, themed: tuple[str, str]) -> None:
    scheme, origin = themed
    laptop = browser.new_context(
        color_scheme="light", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0"
    )
    phone = browser.new_context(
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
    )
    try:
        here, there = laptop.new_page(), phone.new_page()
        sign_in(here, origin)
        sign_in(there, origin)
        here.goto(f"{origin}/api/auth/sessions")
        expect(here.locator(ROWS)).to_have_count(2)
        expect(here.locator(f"{ROWS}[data-current]")).to_contain_text("Firefox on Linux")
        expect(here.locator(f"{ROWS}:not([data-current])")).to_contain_text("Safari on iOS")
        expect(here.locator(ROWS).first).to_contain_text("Network: 127.0.0.0/24")
        for fg, bg in here.evaluate(CONTRAST):
            assert contrast(fg, bg) >= 4.5, (scheme, fg, bg)
        screenshot(here, f"sessions-{scheme}")

        here.click("button[value='end-others']")
        expect(here).to_have_url(f"{origin}/api/auth/sessions")
        expect(here.locator(ROWS)).to_have_count(1)
        expect(here.locator("[data-sessions-alone]")).to_be_visible()

        there.goto(f"{origin}/api/auth/sessions")
        expect(there).to_have_url(re.compile(re.escape(f"{origin}/api/auth/signin?")))

        here.click(f"{ROWS} button[value='end']")
        expect(here).to_have_url(re.compile(re.escape(f"{origin}/api/auth/signin")))
    finally:
        laptop.close()
        phone.close()
