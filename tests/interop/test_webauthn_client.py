"""Auth.js's own passkey client, ``next-auth/webauthn`` (5.0.0-beta.30), against authgate.

The real ``signIn("passkey", ...)`` (with ``@simplewebauthn/browser`` 9.0.1) is bundled with
esbuild (``node/build-client.mjs`` with ``webauthn-node/webauthn-client.js``) into a page
served next to an authgate app in the ``authjs-v5`` profile (SQLite, database sessions), and
run in Chromium with a CDP virtual authenticator: sign up with a passkey, sign in with it in
a fresh browser, add a second one while signed in. The stored rows are read with ``sqlite3``
and compared, field by field, with what ``@auth/core`` 0.41.3 writes for the same flow
(``lib/utils/webauthn-utils.js``: ``toBase64`` ids and keys, the account
``{type: "webauthn", provider, providerAccountId}``, comma-joined transports).
"""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_der_private_key,
)
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from starlette.responses import FileResponse, HTMLResponse
from starlette.routing import Route

from _support import browsers
from _support.components import missing
from _support.servers import serve
from authgate import AuthConfig, AuthGate
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import Passkey

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Browser, BrowserContext, Page
    from starlette.applications import Starlette
    from starlette.requests import Request

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

SECRET = "webauthn-client-secret-0123456789abcdef"
FOLDER = Path(__file__).resolve().parent / "webauthn-node"
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>passkeys</title></head>
<body><script src="/client.js"></script></body></html>"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (FOLDER / "node_modules" / "next-auth" / "webauthn.js").is_file():
        missing(f"next-auth 5 is not installed in {FOLDER}/node_modules")
    out = tmp_path_factory.mktemp("webauthn") / "client.js"
    return browsers.bundle(out, FOLDER / "webauthn-client.js")


@pytest.fixture(scope="module")
def served(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    database = tmp_path_factory.mktemp("db") / "auth.db"

    def make(origin: str) -> Starlette:
        origin = origin.replace("127.0.0.1", "localhost")  # an RP ID is a domain, not an IP
        gate = AuthGate(
            AuthConfig(
                providers=[Passkey(allow_sign_up=True)],
                # No pool: the server's event loop ends with its thread, nothing stays open.
                adapter=SQLAlchemyAdapter(
                    create_async_engine(f"sqlite+aiosqlite:///{database}", poolclass=NullPool),
                    create=True,
                ),
                profile="authjs-v5",
                secret=SECRET,
                url=f"{origin}/api/auth",
            ),
            env={},
        )

        async def page(request: Request) -> HTMLResponse:
            return HTMLResponse(PAGE)

        async def script(request: Request) -> FileResponse:
            return FileResponse(bundle, media_type="text/javascript")

        return browsers.site(gate, Route("/", page), Route("/client.js", script))

    with serve(make) as running:
        yield running.replace("127.0.0.1", "localhost"), database


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with browsers.chromium() as browser:
        yield browser


@pytest.fixture
def opened(browser: Browser, served: tuple[str, Path]) -> Iterator[tuple[BrowserContext, Page]]:
    """A fresh browser profile on the page with Auth.js's client loaded."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{served[0]}/")
    page.wait_for_function("() => window.authjs !== undefined")
    try:
        yield context, page
    finally:
        context.close()


def _sign_in(page: Page, options: dict[str, Any]) -> Any:
    return page.evaluate(
        "options => window.authjs.signIn('passkey', {...options, redirect: false})", options
    )


def _session(page: Page) -> Any:
    return page.evaluate("() => fetch('/api/auth/session').then(r => r.json())")


def _rows(database: Path, sql: str) -> list[dict[str, Any]]:
    with sqlite3.connect(database) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


def _cose_matches(stored_key: str, pkcs8_b64: str) -> bool:
    """The stored COSE key is the public half of the authenticator's private key."""
    public = load_der_private_key(base64.b64decode(pkcs8_b64), password=None).public_key()
    cose = cbor2.loads(base64.b64decode(stored_key))
    if isinstance(public, ed25519.Ed25519PublicKey):  # EdDSA: offered first, as Auth.js does
        raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return bool(cose[1] == 1 and cose[3] == -8 and cose[-1] == 6 and cose[-2] == raw)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    numbers = public.public_numbers()
    return bool(
        cose[1] == 2
        and cose[3] == -7
        and cose[-2] == numbers.x.to_bytes(32, "big")
        and cose[-3] == numbers.y.to_bytes(32, "big")
    )


def test_sign_up_sign_in_and_add_with_the_authjs_client(
    opened: tuple[BrowserContext, Page], served: tuple[str, Path]
) -> None:
    origin, database = served
    context, page = opened
    cdp, authenticator = browsers.virtual_authenticator(context, page)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    result = _sign_in(page, {"action": "register", "email": "Ada@Example.com"})
    assert result["ok"] is True, result
    assert result["error"] is None
    assert _session(page)["user"]["email"] == "ada@example.com"

    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    [user] = _rows(database, 'SELECT * FROM users WHERE email = "ada@example.com"')
    [row] = _rows(database, "SELECT * FROM authenticator")
    # Field by field, as @auth/core's verifyRegister builds them.
    credential_id = base64.b64encode(base64.b64decode(credential["credentialId"])).decode()
    assert row["credentialID"] == credential_id
    assert row["providerAccountId"] == credential_id
    assert row["userId"] == user["id"]
    assert _cose_matches(row["credentialPublicKey"], credential["privateKey"])
    assert row["counter"] == credential["signCount"]
    assert row["credentialDeviceType"] == "singleDevice"  # a virtual key is not synced
    assert row["credentialBackedUp"] == 0
    assert row["transports"] == "internal"
    assert row["name"] is None
    [account] = _rows(database, "SELECT * FROM accounts")
    assert {k: account[k] for k in ("userId", "type", "provider", "providerAccountId")} == {
        "userId": user["id"],
        "type": "webauthn",
        "provider": "passkey",
        "providerAccountId": credential_id,
    }
    assert user["emailVerified"] is None

    # A new browser profile with the same authenticator: sign in.
    context.clear_cookies()
    page.goto(f"{origin}/")
    page.wait_for_function("() => window.authjs !== undefined")
    assert _session(page) is None
    result = _sign_in(page, {})
    assert result["ok"] is True, result
    assert _session(page)["user"]["email"] == "ada@example.com"
    [row] = _rows(database, "SELECT counter FROM authenticator")
    assert row["counter"] >= 1, "the virtual authenticator counts; the counter is stored"

    # Signed in: register adds a second passkey to the same user, the session stays.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    browsers.virtual_authenticator(context, page)
    result = _sign_in(page, {"action": "register"})
    assert result["ok"] is True, result
    rows = _rows(database, "SELECT * FROM authenticator")
    assert len(rows) == 2
    assert {r["userId"] for r in rows} == {user["id"]}
    assert _session(page)["user"]["email"] == "ada@example.com"
    assert not errors, errors


def test_a_refusal_reaches_the_authjs_client_as_its_error(
    opened: tuple[BrowserContext, Page],
) -> None:
    context, page = opened
    browsers.virtual_authenticator(context, page)  # its new credential is unknown here
    page.evaluate(
        """() => navigator.credentials.create({publicKey: {
            challenge: new Uint8Array(32), rp: {id: "localhost", name: "x"},
            user: {id: new Uint8Array(16), name: "x", displayName: "x"},
            pubKeyCredParams: [{type: "public-key", alg: -7}],
            authenticatorSelection: {residentKey: "required"}}})"""
    )
    result = _sign_in(page, {})
    # v5's JSON redirect is a 200 whatever happened (`ok` is the fetch's); the code is in it.
    assert result["error"] == "WebAuthnVerificationError", result
    assert result["url"] is None  # the client's shape for an error
    assert _session(page) is None
