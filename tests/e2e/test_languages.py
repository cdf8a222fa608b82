"""Translated pages as Chromium shows them: a Korean or Japanese browser gets its language,
signs in through it, and the sign-in, error and verify pages are saved as screenshots."""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

import pytest
from examples.demo import DEMO_PASSWORD, DEMO_USERNAME
from playwright.sync_api import expect

from _support.components import missing
from e2e.conftest import fill_builtin_form, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

# locale -> (html lang, title, error-page line, verify-page heading, wrong-password message)
TEXTS = {
    "ko-KR": (
        "ko",
        "로그인",
        "로그인 링크가 더 이상 유효하지 않습니다.",
        "이메일을 확인하세요",
        "로그인에 실패했습니다. 입력한 정보가 올바른지 확인하세요.",
    ),
    "ja-JP": (
        "ja",
        "サインイン",
        "このサインインリンクはもう有効ではありません。",
        "メールを確認してください",
        "サインインに失敗しました。入力内容が正しいか確認してください。",
    ),
}

SEPARATOR = {"ko-KR": "또는", "ja-JP": "または"}  # the "or" between the forms (CSS content)
HR_LABEL = "() => getComputedStyle(document.querySelector('hr'), '::before').content"


def _require_cjk_fonts(language: str) -> None:
    # Without them Chromium draws empty boxes and the screenshots show nothing readable.
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        missing("fc-list (fontconfig) is not installed")
    found = subprocess.run(
        [fc_list, f":lang={language}", "family"], capture_output=True, text=True, check=True
    ).stdout
    if "Noto" not in found:
        missing(f"no font for {language}: apt-get install fonts-noto-cjk (scripts/install)")


@pytest.fixture(params=list(TEXTS))
def localized(browser: Browser, request: pytest.FixtureRequest) -> Iterator[tuple[str, Page]]:
    """A page in a browser whose language is the param (its ``Accept-Language``)."""
    locale: str = request.param
    _require_cjk_fonts(TEXTS[locale][0])
    context = browser.new_context(locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield locale, page
    context.close()
    # The Verification error page is a 403, which Chromium logs as a failed load.
    assert not [e for e in errors if "403" not in e], errors


def test_pages_in_the_browser_language(server: str, localized: tuple[str, Page]) -> None:
    locale, page = localized
    lang, title, error_line, verify_heading, _ = TEXTS[locale]
    short = lang

    page.goto(f"{server}/api/auth/signin")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page).to_have_title(title)
    assert page.evaluate(HR_LABEL) == f'"{SEPARATOR[locale]}"'
    screenshot(page, f"i18n-signin-{short}")

    page.goto(f"{server}/api/auth/error?error=Verification")
    expect(page.locator(".message")).to_contain_text(error_line)
    screenshot(page, f"i18n-error-{short}")

    page.goto(f"{server}/api/auth/verify-request?provider=email&type=email")
    expect(page.locator("h1")).to_have_text(verify_heading)
    screenshot(page, f"i18n-verify-{short}")


def test_sign_in_through_a_translated_page(server: str, localized: tuple[str, Page]) -> None:
    locale, page = localized
    wrong_password = TEXTS[locale][4]
    page.goto(f"{server}/api/auth/signin?callbackUrl=/")
    fill_builtin_form(page, DEMO_USERNAME, "not the password")
    expect(page.locator("[role=alert]")).to_have_text(wrong_password)
    screenshot(page, f"i18n-signin-error-{TEXTS[locale][0]}")
    fill_builtin_form(page, DEMO_USERNAME, DEMO_PASSWORD)
    expect(page).to_have_url(f"{server}/")
