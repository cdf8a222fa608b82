"""Password accounts and two-factor in a real Chromium, on the demo's built-in pages.

Sign up → the mail arrives at a real SMTP server (aiosmtpd) → confirm the address → sign in →
enrol TOTP (the code computed here from the key read off the page) → sign out → signing in
now needs the code → a wrong code is refused → a recovery code works, once → forgot password
→ reset → the old password is refused. Screenshots of every new page, light and dark, go to
``test-artifacts/screenshots``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pyotp
import pytest
from examples.demo import DEMO_PASSWORD, DEMO_USERNAME
from playwright.sync_api import expect

from _support.servers import serve
from _support.smtp_server import running_smtp
from authgate.providers import SMTPServer

from .conftest import demo_app, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Browser, BrowserContext, Page

    from _support.smtp_server import Inbox

pytestmark = pytest.mark.e2e

EMAIL = "grace@example.com"
PASSWORD = "a long and unusual passphrase 7"
NEW_PASSWORD = "another long passphrase, second"
LINK = re.compile(r"https?://\S+/api/auth/(?:verify-email|reset-password)\?\S+")


def mailed_link(inbox: Inbox, count: int) -> str:
    """The link in the ``count``-th mail (waiting for it to arrive)."""
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count and time.monotonic() < deadline:
        inbox.arrived.wait(0.2)
        inbox.arrived.clear()
    assert len(inbox.messages) >= count, "no mail arrived"
    body = inbox.messages[count - 1].get_body(("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, "no link in the mail"
    return found.group()


def sign_in(page: Page, origin: str, password: str = PASSWORD) -> None:
    page.goto(f"{origin}/api/auth/signin?callbackUrl=/")
    page.fill("#input-email-for-password-provider", EMAIL)
    page.fill("#input-password-for-password-provider", password)
    page.click("form[action$='/callback/password'] #submitButton")


def sign_out(page: Page, origin: str) -> None:
    page.goto(f"{origin}/api/auth/signout")
    page.click("#submitButton")
    expect(page.locator("#sign-in")).to_be_visible()


def both_schemes(page: Page, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        screenshot(page, f"accounts-{name}-{scheme}")
    page.emulate_media(color_scheme="light")


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """Fails the test on any console error (a CSP violation, a blocked script) but the 400s
    of refused forms (a wrong code, a weak password), which Chromium logs as failed loads."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    unexpected = [e for e in errors if "status of 400" not in e]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[str, Inbox]]:
    with (
        running_smtp() as (port, inbox),
        serve(demo_app(tmp_path, smtp=SMTPServer(host="127.0.0.1", port=port))) as origin,
    ):
        yield origin, inbox


def test_sign_up_two_factor_recovery_and_reset(page: Page, demo: tuple[str, Inbox]) -> None:
    origin, inbox = demo
    # Sign up, from the link on the sign-in page.
    page.goto(f"{origin}/api/auth/signin")
    page.click("text=Create an account")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    page.fill("#input-name", "Grace")
    page.fill("#input-email", EMAIL)
    page.fill("#input-password", PASSWORD)
    page.check("input[data-show]")
    expect(page.locator("#input-password")).to_have_attribute("type", "text")
    both_schemes(page, "signup")
    page.click("#submitButton")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    both_schemes(page, "check-email")

    # Confirm the address, then sign in.
    page.goto(mailed_link(inbox, 1))
    expect(page.get_by_role("heading", name="Address confirmed")).to_be_visible()
    sign_in(page, origin)
    expect(page.locator("#user-name")).to_have_text("Grace")

    # Enrol TOTP: the key is read off the page, the code computed from it.
    page.click("#two-factor")
    expect(page.locator(".qr svg")).to_be_visible()
    both_schemes(page, "two-factor-setup")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill("#input-code", totp.now())
    page.click("#submitButton")
    expect(page.get_by_role("heading", name="Save your recovery codes")).to_be_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    both_schemes(page, "recovery-codes")
    page.goto(f"{origin}/admin")
    expect(page.get_by_role("heading", name="Admin")).to_be_visible()
    sign_out(page, origin)

    # Signing in now needs the code; a wrong one is refused.
    sign_in(page, origin)
    expect(page).to_have_url(f"{origin}/api/auth/two-factor")
    both_schemes(page, "two-factor")
    page.fill("#input-code", "000000" if totp.now() != "000000" else "111111")
    page.click("#submitButton")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")
    # The next time step: the enrolment's code (this step) cannot be used again.
    page.fill("#input-code", totp.at(time.time() + 30))
    page.click("#submitButton")
    expect(page.locator("#user-name")).to_have_text("Grace")
    sign_out(page, origin)

    # A recovery code works once.
    sign_in(page, origin)
    page.fill("#input-recoveryCode", codes[0])
    page.click("#recoveryButton")
    expect(page.locator("#user-name")).to_have_text("Grace")
    page.goto(f"{origin}/api/auth/two-factor-setup")
    expect(page.get_by_text("Recovery codes left: 9.")).to_be_visible()
    both_schemes(page, "two-factor-settings")
    sign_out(page, origin)
    sign_in(page, origin)
    page.fill("#input-recoveryCode", codes[0])
    page.click("#recoveryButton")
    expect(page.get_by_role("alert")).to_contain_text("That code is not right.")

    # Forgot password → the mailed link → a new password; the old one is refused.
    page.goto(f"{origin}/api/auth/signin")
    page.click("text=Forgot your password?")
    both_schemes(page, "forgot-password")
    page.fill("#input-email", EMAIL)
    page.click("#submitButton")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(mailed_link(inbox, 2))
    both_schemes(page, "reset-password")
    page.fill("#input-password", NEW_PASSWORD)
    page.click("#submitButton")
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    sign_in(page, origin)
    expect(page.get_by_role("alert")).to_contain_text("Sign in failed.")
    sign_in(page, origin, NEW_PASSWORD)
    expect(page).to_have_url(f"{origin}/api/auth/two-factor")


def test_admin_steps_up_instead_of_signing_out(browser: Browser, demo: tuple[str, Inbox]) -> None:
    origin, _ = demo
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{origin}/api/auth/signin?callbackUrl=/admin")
        page.fill("#input-username-for-credentials-provider", DEMO_USERNAME)
        page.fill("#input-password-for-credentials-provider", DEMO_PASSWORD)
        page.click("form[action$='/callback/credentials'] #submitButton")
        # Signed in, no factor enrolled: /admin sends the user to enrol one, still signed in.
        expect(page).to_have_url(re.compile(r"/api/auth/two-factor-setup$"))
        expect(page.locator(".qr svg")).to_be_visible()
    finally:
        context.close()
