"""Theme of the built-in pages as Chromium renders it: colour scheme, brand colour, logo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pytest
from examples.demo.app import BRAND_COLOR, LOGO_PATH

from _support.servers import serve
from authgate import Theme
from e2e.conftest import demo_app, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

BRAND_RGB = "rgb(194, 65, 12)"  # #c2410c (white text on it: 5.2:1)
# next-auth v4 ``css/index.css``: --color-background / --color-background-card of each scheme.
PALETTES = {
    "light": {"body": "rgb(236, 236, 236)", "card": "rgb(255, 255, 255)"},  # #ececec / #fff
    "dark": {"body": "rgb(22, 27, 34)", "card": "rgb(13, 17, 23)"},  # #161b22 / #0d1117
}

COMPUTED = """() => {
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  const button = style('#submitButton');
  const logo = document.querySelector('img.logo');
  return {
    body: style('body').backgroundColor,
    card: style('.card').backgroundColor,
    button: button.backgroundColor,
    buttonText: button.color,
    logoLoaded: logo !== null && logo.complete && logo.naturalWidth > 0,
  };
}"""


@pytest.fixture(scope="module", params=["light", "dark", "auto"])
def themed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """``(color_scheme, origin)``: the demo with that theme (one server per scheme)."""
    scheme = request.param
    theme = Theme(color_scheme=scheme, brand_color=BRAND_COLOR, logo=LOGO_PATH)
    with serve(demo_app(tmp_path_factory.mktemp(scheme), theme=theme)) as origin:
        yield scheme, origin


def computed(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(COMPUTED)
    return result


@pytest.mark.parametrize("system", ["light", "dark"])
def test_pages_follow_the_theme(
    browser: Browser, themed: tuple[str, str], system: Literal["light", "dark"]
) -> None:
    scheme, origin = themed
    expected = PALETTES[system if scheme == "auto" else scheme]
    context = browser.new_context(color_scheme=system)  # the OS preference
    try:
        page = context.new_page()
        for path, name in (("signin", "signin"), ("signout", "signout")):
            page.goto(f"{origin}/api/auth/{path}")

            styles = computed(page)

            assert styles == {
                "body": expected["body"],
                "card": expected["card"],
                "button": BRAND_RGB,
                "buttonText": "rgb(255, 255, 255)",
                "logoLoaded": True,
            }, name
            screenshot(page, f"theme-{scheme}-os-{system}-{name}")
    finally:
        context.close()


def test_phone_viewport(browser: Browser, server: str) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 667},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        page.goto(f"{server}/api/auth/signin")

        width = page.evaluate("() => document.documentElement.scrollWidth")
        card = page.locator(".card").bounding_box()
        button = page.locator("#submitButton").first.bounding_box()

        assert width <= 375, "the page scrolls sideways on a phone"
        assert card is not None
        assert button is not None
        assert card["x"] >= 0
        assert card["x"] + card["width"] <= 375
        assert button["height"] >= 44  # a comfortable touch target
        screenshot(page, "phone-signin")
        page.goto(server)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
        screenshot(page, "phone-home")
    finally:
        context.close()
