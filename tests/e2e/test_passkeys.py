"""Passkeys in Chromium with a CDP virtual authenticator (internal, resident keys, UV).

Sign in with a password, add a passkey on the passkeys page, sign out, sign in with the passkey
from the built-in sign-in page, remove it, and the next passkey sign-in is refused. The page's
only script is authgate's ``webauthn.js`` under its CSP (the ``page`` fixture fails on any
console error, a CSP violation included).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import expect
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from _support import browsers
from _support.servers import serve
from authgate import AuthConfig, AuthGate, SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.asgi import request_from_scope
from authgate.passwords import hash_password
from authgate.providers import Credentials, Passkey, Password
from e2e.conftest import TEST_SECRET, screenshot

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page
    from starlette.applications import Starlette
    from starlette.requests import Request

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


def _app(adapter: MemoryAdapter, user_id: str, passkey: Passkey | None = None) -> Any:
    def authorize(credentials: dict[str, Any], request: Any) -> dict[str, Any] | None:
        if credentials.get("password") != PASSWORD:
            return None
        return {"id": user_id, "email": "ada@example.com", "name": "Ada"}

    def make(origin: str) -> Starlette:
        # WebAuthn needs a domain for the RP ID, not an IP: the browser goes to localhost.
        origin = origin.replace("127.0.0.1", "localhost")
        gate = AuthGate(
            AuthConfig(
                providers=[
                    Credentials(
                        authorize=authorize,
                        credentials={"password": {"label": "Password", "type": "password"}},
                    ),
                    passkey or Passkey(conditional_ui=False),
                ],
                adapter=adapter,
                session=SessionConfig(strategy="jwt"),
                secret=TEST_SECRET,
                url=f"{origin}/api/auth",
            ),
            env={},
        )

        async def home(request: Request) -> PlainTextResponse:
            return PlainTextResponse("home")

        return browsers.site(gate, Route("/", home))

    return make


@pytest.fixture(scope="module")
def passkey_server() -> Iterator[tuple[str, MemoryAdapter]]:
    adapter = MemoryAdapter()
    # Playwright's sync API owns this thread's event loop: create the user on another thread.
    with ThreadPoolExecutor(1) as pool:
        new = {"email": "ada@example.com", "emailVerified": None}
        user = pool.submit(asyncio.run, adapter.create_user(new)).result()  # type: ignore[arg-type]
    with serve(_app(adapter, user["id"])) as origin:
        yield origin.replace("127.0.0.1", "localhost"), adapter


def _sign_out(page: Page, origin: str) -> None:
    page.goto(f"{origin}/api/auth/signout")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert _session_email(page, origin) is None


def _session_email(page: Page, origin: str) -> Any:
    response = page.goto(f"{origin}/api/auth/session")
    assert response is not None
    body = response.json()
    return (body or {}).get("user", {}).get("email")


def _use_key(page: Page, origin: str, path: str, selector: str, who: str, shot: str) -> None:
    """Open ``path``, press the key button (screenshot ``shot`` first): signed in as ``who``."""
    page.goto(f"{origin}{path}")
    button = page.locator(selector)
    expect(button).to_be_visible()
    screenshot(page, shot)
    button.click()
    expect(page).to_have_url(f"{origin}/")
    assert _session_email(page, origin) == f"{who}@example.com"


def test_add_sign_in_remove_refused(
    page: Page, context: BrowserContext, passkey_server: tuple[str, MemoryAdapter]
) -> None:
    origin, adapter = passkey_server
    cdp, authenticator = browsers.virtual_authenticator(context, page)

    # Signed in with the password, the passkeys page adds a passkey.
    page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
    page.fill("#input-password-for-credentials-provider", PASSWORD)
    page.click("form[action$='/callback/credentials'] button")
    expect(page).to_have_url(f"{origin}/")
    page.goto(f"{origin}/api/auth/passkeys")
    expect(page.locator("[data-passkeys-empty]")).to_be_visible()
    page.click("[data-passkey-add]")
    expect(page.locator("[data-passkey-row]")).to_have_count(1)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]
    screenshot(page, "passkeys-page")

    # Name it.
    page.fill("#passkey-name-1", "Laptop")
    page.click("[data-passkey-row] button[value=rename]")
    expect(page.locator("#passkey-name-1")).to_have_value("Laptop")

    # Signed out, the built-in page signs in with it.
    _sign_out(page, origin)
    _use_key(
        page,
        origin,
        "/api/auth/signin?callbackUrl=%2F",
        "[data-passkey-signin]",
        "ada",
        "signin-with-passkey",
    )

    # Removed, the same passkey no longer signs in.
    page.goto(f"{origin}/api/auth/passkeys")
    page.click("[data-passkey-row] button[value=remove]")
    expect(page.locator("[data-passkeys-empty]")).to_be_visible()
    _sign_out(page, origin)
    page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
    page.click("[data-passkey-signin]")
    expect(page).to_have_url(f"{origin}/api/auth/error?error=WebAuthnVerificationError")
    assert _session_email(page, origin) is None
    tables = adapter.dump()
    assert tables["authenticators"] == []


def test_without_javascript_the_page_still_signs_in(
    browser: Any, passkey_server: tuple[str, MemoryAdapter]
) -> None:
    origin, _ = passkey_server
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
        expect(page.locator("[data-passkey-signin]")).to_be_hidden()
        page.fill("#input-password-for-credentials-provider", PASSWORD)
        page.click("form[action$='/callback/credentials'] button")
        expect(page).to_have_url(f"{origin}/")
    finally:
        context.close()


@pytest.fixture(scope="module")
def sign_up_server() -> Iterator[str]:
    passkey = Passkey(allow_sign_up=True)  # conditional UI on (the default)
    with serve(_app(MemoryAdapter(), "none", passkey)) as origin:
        yield origin.replace("127.0.0.1", "localhost")


def test_sign_up_then_autofill_signs_in(
    page: Page, context: BrowserContext, sign_up_server: str
) -> None:
    origin = sign_up_server
    page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
    browsers.virtual_authenticator(context, page)
    email = page.locator("input[name=email][autocomplete='username webauthn']")
    expect(email).to_be_visible()
    email.fill("new@example.com")
    page.click("[data-passkey-signup]")  # aborts the pending autofill request first
    expect(page).to_have_url(f"{origin}/")
    assert _session_email(page, origin) == "new@example.com"

    # Signed out, the sign-in page's conditional (autofill) request finds the passkey: the
    # virtual authenticator answers it as a user picking the suggestion would.
    context.clear_cookies()
    with page.expect_navigation(url=f"{origin}/"):
        page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
    assert _session_email(page, origin) == "new@example.com"


# ---- a security key as the second factor --------------------------------------------------

STRONG = "a long and unusual passphrase 7"


async def _no_mail(mail: Any) -> None:
    raise AssertionError("no mail in this flow")


def _two_factor_app(adapter: MemoryAdapter, strategy: str) -> Any:
    def make(origin: str) -> Starlette:
        origin = origin.replace("127.0.0.1", "localhost")
        gate = AuthGate(
            AuthConfig(
                providers=[Password(send_mail=_no_mail), Passkey(conditional_ui=False)],
                adapter=adapter,
                session=SessionConfig(strategy=strategy),  # type: ignore[arg-type]
                two_factor=TwoFactor(security_keys=True),
                secret=TEST_SECRET,
                url=f"{origin}/api/auth",
            ),
            env={},
        )

        async def home(request: Request) -> PlainTextResponse:
            return PlainTextResponse("home")

        async def methods(request: Request) -> JSONResponse:
            return JSONResponse(await gate.get_sign_in_methods(request_from_scope(request.scope)))

        return browsers.site(gate, Route("/", home), Route("/amr", methods))

    return make


@pytest.fixture(scope="module", params=["jwt", "database"])
def two_factor_server(request: pytest.FixtureRequest) -> Iterator[str]:
    adapter = MemoryAdapter()

    async def account() -> None:
        new = {"email": "grace@example.com", "emailVerified": datetime.now(UTC)}
        user = await adapter.create_user(new)  # type: ignore[arg-type]
        await adapter.set_password_hash(user["id"], hash_password(STRONG))
        await adapter.link_account(  # what /signup stores with the hash
            {
                "userId": user["id"],
                "type": "credentials",
                "provider": "password",
                "providerAccountId": user["id"],
            }
        )

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, account()).result()
    with serve(_two_factor_app(adapter, request.param)) as origin:
        yield origin.replace("127.0.0.1", "localhost")


def _password_sign_in(page: Page, origin: str) -> None:
    page.goto(f"{origin}/api/auth/signin?callbackUrl=%2F")
    page.fill("#input-email-for-password-provider", "grace@example.com")
    page.fill("#input-password-for-password-provider", STRONG)
    page.click("form[action$='/callback/password'] #submitButton")


def test_security_key_as_the_second_factor(
    browser: Any, page: Page, context: BrowserContext, two_factor_server: str
) -> None:
    origin = two_factor_server
    browsers.virtual_authenticator(context, page)

    # No factor yet: the password signs in; the passkeys page adds a key.
    _password_sign_in(page, origin)
    expect(page).to_have_url(f"{origin}/")
    page.goto(f"{origin}/api/auth/passkeys")
    page.click("[data-passkey-add]")
    expect(page.locator("[data-passkey-row]")).to_have_count(1)
    _sign_out(page, origin)

    # Now the password is not enough: the two-factor page asks, the key answers.
    _password_sign_in(page, origin)
    expect(page).to_have_url(f"{origin}/api/auth/two-factor")
    expect(page.locator("#input-code")).to_be_visible()
    assert _session_email(page, origin) is None
    _use_key(
        page,
        origin,
        "/api/auth/two-factor",
        "#securityKeyButton",
        "grace",
        "two-factor-security-key",
    )
    amr = page.goto(f"{origin}/amr")
    assert amr is not None
    assert amr.json() == ["pwd", "hwk"]

    # Without JavaScript the button stays hidden and the code form is there.
    plain = browser.new_context(java_script_enabled=False)
    try:
        other = plain.new_page()
        _password_sign_in(other, origin)
        expect(other).to_have_url(f"{origin}/api/auth/two-factor")
        expect(other.locator("#securityKeyButton")).to_be_hidden()
        expect(other.locator("#input-code")).to_be_visible()
    finally:
        plain.close()
