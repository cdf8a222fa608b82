"""A custom sign-in page that talks to the JSON endpoints with fetch(), in a real Chromium.

A small Starlette app mounts ``AuthApp`` with ``PagesConfig(sign_in="/login")`` and serves its
own page: it asks ``/csrf``, posts the password with ``json=true`` to ``/callback/password``,
reads ``{"url": ..., "twoFactor": true}``, shows its own code field and posts the TOTP code
(computed here with pyotp from the key enrolled beforehand) to ``/two-factor`` in JSON mode.
A wrong password and a wrong code are refused and shown by the page; the right code signs in.
"""

from __future__ import annotations

import html
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import anyio
import pyotp
import pytest
from playwright.sync_api import expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from _support.servers import serve
from accounts.conftest import STRONG, Mailbox, Setup, build, enrol, sign_in, sign_up, verify
from authgate import AuthConfig, AuthGate, PagesConfig, SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from authgate.integrations.asgi import AuthApp
from authgate.integrations.starlette import get_session
from authgate.providers import Password
from blackbox.conftest import Client

from .conftest import TEST_SECRET, screenshot, watched

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Page
    from starlette.requests import Request

pytestmark = pytest.mark.e2e

EMAIL = "ada@example.com"

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in to Example</title>
<link rel="icon" href="data:,"></head>
<body>
<h1>Sign in to Example</h1>
<form id="password-form">
  <label>Email <input id="email" name="email" type="email" required></label>
  <label>Password <input id="password" name="password" type="password" required></label>
  <button id="sign-in" type="submit">Sign in</button>
</form>
<form id="code-form" hidden>
  <label>Code from your app <input id="code" name="code" inputmode="numeric" required></label>
  <button id="verify" type="submit">Verify</button>
</form>
<p id="message" role="status"></p>
<script>
const api = "/api/auth";
const callbackUrl = new URLSearchParams(location.search).get("callbackUrl") || "/";
const message = document.getElementById("message");

async function post(path, fields) {
  const { csrfToken } = await (await fetch(api + "/csrf")).json();
  const body = new URLSearchParams({ ...fields, csrfToken, callbackUrl, json: "true" });
  const response = await fetch(api + path, { method: "POST", body });
  return { status: response.status, data: await response.json() };
}

document.getElementById("password-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { status, data } = await post("/callback/password", {
    email: document.getElementById("email").value,
    password: document.getElementById("password").value,
  });
  if (status === 200 && data.twoFactor) {
    document.getElementById("password-form").hidden = true;
    document.getElementById("code-form").hidden = false;
    message.textContent = "Enter the code from your app.";
  } else if (status === 200) {
    location.assign(data.url);
  } else {
    message.textContent = "Refused: " + new URL(data.url).searchParams.get("error");
  }
});

document.getElementById("code-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const { status, data } = await post("/two-factor", {
    code: document.getElementById("code").value,
  });
  if (status === 200 && data.url) {
    location.assign(data.url);
  } else {
    message.textContent = "Refused: " + data.error;
  }
});
</script>
</body></html>
"""


def seed(adapter: MemoryAdapter) -> str:
    """An account with TOTP enrolled, made through the routes; its key (base32).

    The enrolment is dated three time steps back, so the code the browser sends later is a
    step the account has not used yet.
    """

    async def make() -> str:
        mailbox = Mailbox()
        setup = Setup(build(adapter, "jwt", mailbox, secret=TEST_SECRET), adapter, mailbox, "jwt")
        client = Client(setup.gate, now=time.time() - 90)
        assert (await sign_up(client, EMAIL)).status == 302
        assert (await verify(setup, client, EMAIL)).status == 200
        assert (await sign_in(client, EMAIL)).status == 302
        secret, _ = await enrol(client)
        return secret

    # Playwright's sync API runs an event loop in this thread: seed from another one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, make).result()


def custom_app(adapter: MemoryAdapter) -> Any:
    async def discard(mail: object) -> None:
        return None

    def make(origin: str) -> Starlette:
        gate = AuthGate(
            AuthConfig(
                secret=TEST_SECRET,
                url=f"{origin}/api/auth",
                adapter=adapter,
                providers=[Password(send_mail=discard)],
                session=SessionConfig(strategy="jwt"),
                two_factor=TwoFactor(),
                pages=PagesConfig(sign_in="/login"),
            )
        )

        async def login(request: Request) -> HTMLResponse:
            return HTMLResponse(LOGIN_PAGE)

        async def home(request: Request) -> HTMLResponse:
            session = await get_session(request, gate)
            who = (session["user"].get("email") if session else None) or "nobody"
            head = '<!doctype html><title>Home</title><link rel="icon" href="data:,">'
            return HTMLResponse(f'{head}<p id="who">{html.escape(who)}</p>')

        return Starlette(
            routes=[Route("/", home), Route("/login", login), Mount("/api/auth", AuthApp(gate))]
        )

    return make


@pytest.fixture(scope="module")
def custom() -> Iterator[tuple[str, str]]:
    adapter = MemoryAdapter()  # the seeding gate's and the server's: one store
    secret = seed(adapter)
    with serve(custom_app(adapter), ready_path="/login") as origin:
        yield origin, secret


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """Refused requests (400, 401) are logged by Chromium as failed loads: expected here."""
    with watched(context, allowed=("status of 400", "status of 401")) as page:
        yield page


def session_cookie(context: BrowserContext) -> bool:
    return any(c["name"] == "next-auth.session-token" for c in context.cookies())


def test_custom_page_signs_in_with_two_factor_through_json(
    page: Page, context: BrowserContext, custom: tuple[str, str]
) -> None:
    origin, secret = custom
    page.goto(f"{origin}/api/auth/signin")
    expect(page).to_have_url(f"{origin}/login?callbackUrl=http%3A%2F%2F127.0.0.1%3A{port(origin)}")

    page.fill("#email", EMAIL)
    page.fill("#password", "not the password at all")
    page.click("#sign-in")
    expect(page.locator("#message")).to_have_text("Refused: CredentialsSignin")

    page.fill("#password", STRONG)
    page.click("#sign-in")
    expect(page.locator("#code-form")).to_be_visible()
    assert not session_cookie(context), "no session before the second factor"
    assert any(c["name"] == "next-auth.two-factor" for c in context.cookies())
    screenshot(page, "custom-signin-json-two-factor")

    totp = pyotp.TOTP(secret)
    moment = time.time()
    valid = {totp.at(moment + k * 30) for k in (-1, 0, 1)}
    page.fill("#code", next(c for c in ("000000", "111111", "222222") if c not in valid))
    page.click("#verify")
    expect(page.locator("#message")).to_have_text("Refused: InvalidCode")
    assert not session_cookie(context), "a wrong code issues no session"

    page.fill("#code", totp.now())
    page.click("#verify")
    expect(page).to_have_url(f"{origin}/")
    expect(page.locator("#who")).to_have_text(EMAIL)
    assert session_cookie(context)


def port(origin: str) -> str:
    return origin.rsplit(":", 1)[1]
