"""``TwoFactor(after={"email", "oauth"})``: a second step after an e-mail link or OAuth sign-in.

Real components: the mail goes through aiosmtpd on loopback, OAuth through the real
``oidc-provider`` (node); users, accounts, factors and database sessions in a SQLite file.
A user enrolled in TOTP who signs in by e-mail or OAuth gets no session until the second
step (a recovery code here, deterministic), and gets one right away when ``after`` does not
name that first factor (the default, ``{"credentials"}``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET
from _support.smtp_server import Inbox, running_smtp
from accounts.conftest import answer, enrol
from authgate import AuthConfig, AuthGate, SessionConfig, TwoFactor
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import OIDC, Email
from blackbox.conftest import SECRET, Client, body_json

from .test_oidc_adapter import sign_in as oauth_sign_in
from .test_oidc_provider import APP, issuer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

__all__ = ["issuer"]  # the module's real OpenID provider (a fixture)

SESSION = "next-auth.session-token"
PENDING = "next-auth.two-factor"
SECOND_STEP = f"{APP}/api/auth/two-factor"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, Inbox]]:
    with running_smtp() as server:
        yield server


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
    db = SQLAlchemyAdapter(tmp_path / "auth.db")
    yield db
    await db.close()


@pytest.fixture
async def outbound() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def gate(
    issuer: str,
    smtp: tuple[int, Inbox],
    outbound: httpx.AsyncClient,
    adapter: SQLAlchemyAdapter,
    two_factor: TwoFactor,
) -> AuthGate:
    oidc = OIDC(
        id="oidc",
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        allow_dangerous_email_account_linking=True,  # the same ada@example.com as the e-mail
    )
    return AuthGate(
        AuthConfig(
            providers=[Email(server=f"smtp://127.0.0.1:{smtp[0]}"), oidc],
            secret=SECRET,
            url=f"{APP}/api/auth",
            http_client=outbound,
            adapter=adapter,
            session=SessionConfig(strategy="database"),
            two_factor=two_factor,
        ),
        env={},
    )


async def email_sign_in(client: Client, inbox: Inbox) -> Any:
    """Ask for a link for ada@example.com and open it."""
    before = len(inbox.messages)
    csrf = await client.csrf()
    asked = await client.post("/signin/email", form={"csrfToken": csrf, "email": "ada@example.com"})
    assert asked.redirect is not None
    assert "verify-request" in asked.redirect, asked.redirect
    assert len(inbox.messages) == before + 1, "the mail arrived"
    link = urlsplit(inbox.link())
    return await client.get(link.path, query=link.query, absolute=True)


async def enrolled(built: AuthGate, inbox: Inbox) -> list[str]:
    """ada@example.com signs in by e-mail (no factor yet: a session) and enrols TOTP."""
    client = Client(built, now=None)
    landed = await email_sign_in(client, inbox)
    assert landed.redirect == APP, landed.redirect
    assert SESSION in client.jar
    client.now = time.time()  # enrol() computes the code at the client's clock
    _, codes = await enrol(client)
    return codes


def signed_in_as_ada(response: Any, client: Client) -> None:
    assert SESSION in client.jar, response.redirect
    assert PENDING not in client.jar


async def test_the_second_step_follows_an_email_and_an_oauth_sign_in(
    issuer: str,
    smtp: tuple[int, Inbox],
    outbound: httpx.AsyncClient,
    adapter: SQLAlchemyAdapter,
) -> None:
    built = gate(issuer, smtp, outbound, adapter, TwoFactor(after=frozenset({"email", "oauth"})))
    codes = await enrolled(built, smtp[1])

    by_mail = Client(built, now=None)
    first = await email_sign_in(by_mail, smtp[1])
    assert first.redirect == SECOND_STEP, "the link alone is not enough"
    assert SESSION not in by_mail.jar
    assert PENDING in by_mail.jar
    done = await answer(by_mail, recoveryCode=codes[0])
    assert done.redirect == APP
    signed_in_as_ada(done, by_mail)
    session = body_json(await by_mail.get("/session"))
    assert session["user"]["email"] == "ada@example.com"

    by_oauth = Client(built, now=None)
    first = await oauth_sign_in(by_oauth, "ada")
    assert first.redirect == SECOND_STEP, "the provider's word alone is not enough"
    assert SESSION not in by_oauth.jar
    wrong = await answer(by_oauth, recoveryCode="aaaaa-aaaaa")
    assert wrong.status == 400
    assert SESSION not in by_oauth.jar
    done = await answer(by_oauth, recoveryCode=codes[1])
    assert done.redirect == f"{APP}/welcome", "back to the callback URL of the first factor"
    signed_in_as_ada(done, by_oauth)
    assert body_json(await by_oauth.get("/session"))["user"]["email"] == "ada@example.com"


async def test_without_them_in_after_email_and_oauth_sign_in_at_once(
    issuer: str,
    smtp: tuple[int, Inbox],
    outbound: httpx.AsyncClient,
    adapter: SQLAlchemyAdapter,
) -> None:
    built = gate(issuer, smtp, outbound, adapter, TwoFactor())  # after={"credentials"}
    await enrolled(built, smtp[1])

    by_mail = Client(built, now=None)
    landed = await email_sign_in(by_mail, smtp[1])
    assert landed.redirect == APP
    signed_in_as_ada(landed, by_mail)

    by_oauth = Client(built, now=None)
    landed = await oauth_sign_in(by_oauth, "ada")
    assert landed.redirect == f"{APP}/welcome"
    signed_in_as_ada(landed, by_oauth)
