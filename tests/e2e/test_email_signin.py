"""E-mail sign-in in a real Chromium: the demo mails the link to a real SMTP server (aiosmtpd),
the test reads it from the inbox and the browser follows it."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from _support.servers import serve
from _support.smtp_server import running_smtp
from authgate.providers import SMTPServer

from .conftest import demo_app

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e


def test_magic_link_signs_in_and_users_share_the_demo_file(page: Page, tmp_path: Path) -> None:
    with (
        running_smtp() as (port, inbox),
        serve(demo_app(tmp_path, smtp=SMTPServer(host="127.0.0.1", port=port))) as origin,
    ):
        page.goto(f"{origin}/api/auth/signin?callbackUrl=/dashboard")
        page.fill("#input-email-for-email-provider", "Grace@Example.com")
        page.click("form[action$='/signin/email'] button")
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        assert inbox.arrived.wait(10), "no mail arrived"
        assert inbox.recipients == [["grace@example.com"]]
        link = inbox.link()
        assert link.startswith(f"{origin}/api/auth/callback/email?")
        page.goto(link)
        expect(page).to_have_url(f"{origin}/dashboard")
        session = page.request.get(f"{origin}/api/auth/session").json()
        assert session["user"]["email"] == "grace@example.com"
        # A second use of the same link is refused.
        again = page.request.get(link, max_redirects=0)
        assert "error=Verification" in again.headers["location"]

    with closing(sqlite3.connect(tmp_path / "demo.db")) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        emails = [r[0] for r in db.execute("SELECT email FROM users")]
    assert {"demo_credentials", "users", "accounts", "sessions", "verification_token"} <= tables
    assert emails == ["grace@example.com"]
