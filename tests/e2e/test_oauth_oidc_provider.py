"""OAuth in a real browser: Chromium signs in through a real OpenID provider (oidc-provider).

The built-in sign-in page shows the provider's button; clicking it goes to the provider's login
and consent pages, and back to the app signed in, with the provider's user in the session. With
a database adapter the user lands in the SQLite file and the cookie is a database session.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import ExitStack, closing
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import BrowserContext, expect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from _support.servers import serve
from authgate import AuthConfig, AuthGate
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter, database_url
from authgate.integrations.asgi import AuthApp
from authgate.providers import OIDC, ProviderStyle

from .conftest import TEST_SECRET, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from playwright.sync_api import Page
    from starlette.requests import Request

pytestmark = pytest.mark.e2e

LOGO = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 1 1'/%3E"


def make_app(origin: str, issuer: str, adapter: SQLAlchemyAdapter | None = None) -> Starlette:
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
            adapter=adapter,
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

        yield stack.enter_context(serve(make, ready_path="/static/logo.svg"))


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("oauth-db") / "auth.db"


@pytest.fixture(scope="module")
def oauth_db_server(database: Path) -> Iterator[str]:
    with ExitStack() as stack:

        def make(origin: str) -> Starlette:
            redirect = f"{origin}/api/auth/callback/oidc"
            issuer = stack.enter_context(oidc_provider([redirect]))
            # No pool: the server's event loop ends with the thread, nothing is left open.
            engine = create_async_engine(database_url(database), poolclass=NullPool)
            return make_app(origin, issuer, SQLAlchemyAdapter(engine, create=True))

        yield stack.enter_context(serve(make, ready_path="/static/logo.svg"))


def provider_sign_in(page: Page, origin: str, login: str) -> None:
    """The sign-in page's button, then the provider's login and consent pages."""
    page.goto(f"{origin}/api/auth/signin?callbackUrl=/")
    page.get_by_role("button", name="Sign in with Test OIDC").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("anything")
    page.locator("button[type=submit]").click()
    expect(page.locator("button[type=submit]")).to_have_text("Continue")
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{origin}/")


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


def table(database: Path, name: str) -> list[dict[str, object]]:
    with closing(sqlite3.connect(database)) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f"SELECT * FROM {name}")]  # noqa: S608


def test_sign_in_with_a_database_adapter(
    context: BrowserContext, oauth_db_server: str, database: Path
) -> None:
    origin = oauth_db_server
    page = context.new_page()
    provider_sign_in(page, origin, "linus")

    session = json.loads(page.request.get(f"{origin}/api/auth/session").text())
    assert session["user"]["email"] == "linus@example.com"
    cookies = {c["name"]: c["value"] for c in page.context.cookies(origin)}
    token = cookies["next-auth.session-token"]
    assert re.fullmatch(r"[0-9a-f]{64}", token), "a database session, not a JWT"
    [user] = table(database, "users")
    assert user["email"] == "linus@example.com"
    [account] = table(database, "accounts")
    assert (account["userId"], account["providerAccountId"]) == (user["id"], "linus")
    assert [s["sessionToken"] for s in table(database, "sessions")] == [token]

    # The built-in sign-out page deletes the row.
    page.goto(f"{origin}/api/auth/signout")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(re.escape(origin) + "/"))
    assert table(database, "sessions") == []
    assert json.loads(page.request.get(f"{origin}/api/auth/session").text()) == {}
