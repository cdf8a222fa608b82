"""OAuth with a database adapter, through a real OpenID provider (oidc-provider on loopback).

The gate stores users and accounts in a SQLite file (``SQLAlchemyAdapter``) and keeps database
sessions; the test reads the tables with :mod:`sqlite3` and plays the browser with httpx, as
``test_oidc_provider.py`` does. The provider's accounts are ``<login>@example.com``, verified
unless the login starts with ``unverified-``.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from _support.oidc_provider import CLIENT_ID, CLIENT_SECRET, oidc_provider
from authgate import AuthConfig, AuthGate, Events
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import OIDC
from blackbox.conftest import SECRET, Client, body_json

from .test_oidc_provider import APP, CALLBACK, play_user

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

SESSION = "next-auth.session-token"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc_provider([CALLBACK]) as url:
        yield url


class Recorder:
    """Counts the events the gate fires."""

    def __init__(self) -> None:
        self.fired: list[tuple[str, dict[str, Any]]] = []

    def events(self) -> Events:
        def record(name: str) -> Any:
            def handler(**params: Any) -> None:
                self.fired.append((name, params))

            return handler

        return Events(
            sign_in=record("sign_in"),
            sign_out=record("sign_out"),
            create_user=record("create_user"),
            update_user=record("update_user"),
            link_account=record("link_account"),
        )

    def names(self) -> list[str]:
        return [name for name, _ in self.fired]


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
    db = SQLAlchemyAdapter(tmp_path / "auth.db")
    yield db
    await db.close()


def rows(adapter: SQLAlchemyAdapter, table: str) -> list[dict[str, Any]]:
    """The table's rows, read with plain sqlite3 (what a Next.js app would see)."""
    path = adapter.engine.url.database
    assert path is not None
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY 1")]  # noqa: S608


def make_gate(
    issuer: str,
    outbound: httpx.AsyncClient,
    adapter: SQLAlchemyAdapter,
    recorder: Recorder,
    **kw: Any,
) -> AuthGate:
    return AuthGate(
        AuthConfig(
            providers=[
                OIDC(
                    id="oidc",
                    issuer=issuer,
                    client_id=CLIENT_ID,
                    client_secret=CLIENT_SECRET,
                    **kw,
                )
            ],
            secret=SECRET,
            url=f"{APP}/api/auth",
            http_client=outbound,
            adapter=adapter,
            events=recorder.events(),
        ),
        env={},
    )


async def sign_in(client: Client, login: str) -> Any:
    """POST /signin/oidc, the provider's pages in a fresh browser, then the callback."""
    token = await client.csrf()
    response = await client.post(
        "/signin/oidc", form={"csrfToken": token, "callbackUrl": f"{APP}/welcome"}
    )
    assert response.redirect is not None, response.body
    async with httpx.AsyncClient() as browser:  # no provider session left from another login
        params = await play_user(browser, response.redirect, login)
    return await client.get("/callback/oidc", query=params)


async def test_first_and_second_sign_in_and_sign_out(
    issuer: str, adapter: SQLAlchemyAdapter
) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient() as outbound:
        gate = make_gate(issuer, outbound, adapter, recorder)
        first = Client(gate, now=None)
        landed = await sign_in(first, "ada")
        assert landed.redirect == f"{APP}/welcome", landed.redirect

        # One user, one account, one session row; the cookie is the session's random token.
        [user] = rows(adapter, "users")
        assert user["email"] == "ada@example.com"
        assert user["name"] == "Ada Lovelace"
        assert user["image"] == f"{issuer}/avatars/ada.png"
        assert user["emailVerified"] is not None, "the provider said email_verified"
        [account] = rows(adapter, "accounts")
        assert account["userId"] == user["id"]
        assert (account["provider"], account["providerAccountId"]) == ("oidc", "ada")
        assert account["type"] == "oauth"
        assert account["token_type"] == "Bearer"
        assert account["access_token"]
        assert account["id_token"].count(".") == 2
        assert account["expires_at"] is not None
        token = first.jar[SESSION]
        assert re.fullmatch(r"[0-9a-f]{64}", token), "a database session token, not a JWT"
        [session] = rows(adapter, "sessions")
        assert session["sessionToken"] == token
        assert session["userId"] == user["id"]
        assert recorder.names() == ["create_user", "link_account", "sign_in"]
        assert recorder.fired[2][1]["is_new_user"] is True

        body = body_json(await first.get("/session"))
        assert body["user"] == {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "image": f"{issuer}/avatars/ada.png",
        }

        # The second sign-in (another browser) finds the same user through the account.
        second = Client(gate, now=None)
        again = await sign_in(second, "ada")
        assert again.redirect == f"{APP}/welcome", again.redirect
        assert len(rows(adapter, "users")) == 1
        assert len(rows(adapter, "accounts")) == 1
        assert len(rows(adapter, "sessions")) == 2
        assert second.jar[SESSION] != token
        assert recorder.names() == ["create_user", "link_account", "sign_in", "sign_in"]
        assert recorder.fired[3][1]["is_new_user"] is False
        assert body_json(await second.get("/session"))["user"]["email"] == "ada@example.com"

        # Sign-out deletes the row of that browser only.
        csrf = await first.csrf()
        out = await first.post("/signout", form={"csrfToken": csrf})
        assert out.status == 302
        assert SESSION not in first.jar
        [left] = rows(adapter, "sessions")
        assert left["sessionToken"] == second.jar[SESSION]
        assert recorder.names()[-1] == "sign_out"
        assert body_json(await first.get("/session")) == {}
        assert body_json(await second.get("/session"))["user"]["email"] == "ada@example.com"


async def test_same_email_without_opt_in_is_not_linked(
    issuer: str, adapter: SQLAlchemyAdapter
) -> None:
    grace = await adapter.create_user({"email": "grace@example.com", "emailVerified": None})
    recorder = Recorder()
    async with httpx.AsyncClient() as outbound:
        client = Client(make_gate(issuer, outbound, adapter, recorder), now=None)
        landed = await sign_in(client, "grace")
        assert landed.redirect == f"{APP}/api/auth/error?error=OAuthAccountNotLinked"
        assert SESSION not in client.jar
        assert rows(adapter, "accounts") == []
        assert rows(adapter, "sessions") == []
        assert [u["id"] for u in rows(adapter, "users")] == [int(grace["id"])]
        assert recorder.names() == []


async def test_opt_in_links_a_verified_email_only(issuer: str, adapter: SQLAlchemyAdapter) -> None:
    proven = datetime(2026, 1, 1, tzinfo=UTC)
    grace = await adapter.create_user({"email": "grace@example.com", "emailVerified": proven})
    await adapter.create_user({"email": "alan@example.com", "emailVerified": proven})
    # A user that only claims its address (emailVerified null) is never linked to.
    await adapter.create_user({"email": "ada@example.com", "emailVerified": None})
    recorder = Recorder()
    async with httpx.AsyncClient() as outbound:
        gate = make_gate(
            issuer, outbound, adapter, recorder, allow_dangerous_email_account_linking=True
        )
        # The provider does not vouch for alan@example.com: no link, even with the opt-in.
        refused = Client(gate, now=None)
        landed = await sign_in(refused, "unverified-alan")
        assert landed.redirect == f"{APP}/api/auth/error?error=OAuthAccountNotLinked"
        assert rows(adapter, "accounts") == []

        claimed = Client(gate, now=None)
        landed = await sign_in(claimed, "ada")
        assert landed.redirect == f"{APP}/api/auth/error?error=OAuthAccountNotLinked"
        assert rows(adapter, "accounts") == []

        client = Client(gate, now=None)
        landed = await sign_in(client, "grace")
        assert landed.redirect == f"{APP}/welcome", landed.redirect
        [account] = rows(adapter, "accounts")
        assert account["userId"] == int(grace["id"])
        assert account["providerAccountId"] == "grace"
        assert len(rows(adapter, "users")) == 3, "no new user"
        assert recorder.names() == ["link_account", "sign_in"]
        assert recorder.fired[0][1]["user"]["id"] == grace["id"]
        assert recorder.fired[1][1]["is_new_user"] is False
        body = body_json(await client.get("/session"))
        assert body["user"]["email"] == "grace@example.com"

        # Next time the account itself finds the user: no second link.
        await sign_in(Client(gate, now=None), "grace")
        assert len(rows(adapter, "accounts")) == 1
        assert recorder.names().count("link_account") == 1


async def test_link_account_through_the_real_provider(
    issuer: str, adapter: SQLAlchemyAdapter
) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient() as outbound:
        client = Client(make_gate(issuer, outbound, adapter, recorder), now=None)
        await sign_in(client, "ada")
        [ada] = rows(adapter, "users")
        token = client.jar[SESSION]

        # Signed in as Ada, link the provider's "grace" account explicitly.
        csrf = await client.csrf()
        response = await client.post(
            "/signin/oidc", form={"csrfToken": csrf, "link": "true", "callbackUrl": f"{APP}/me"}
        )
        assert response.redirect is not None
        async with httpx.AsyncClient() as browser:
            params = await play_user(browser, response.redirect, "grace")
        landed = await client.get("/callback/oidc", query=params)
        assert landed.redirect == f"{APP}/me", landed.redirect
        assert client.jar[SESSION] == token, "the session is kept"
        accounts = rows(adapter, "accounts")
        assert sorted(a["providerAccountId"] for a in accounts) == ["ada", "grace"]
        assert {a["userId"] for a in accounts} == {ada["id"]}
        assert len(rows(adapter, "users")) == 1
        assert recorder.names() == [
            "create_user",
            "link_account",
            "sign_in",
            "link_account",
            "sign_in",
        ]

        # Linking "grace" again from another user's session: it belongs to Ada.
        other = Client(client.gate, now=None)
        await sign_in(other, "alan")
        csrf = await other.csrf()
        response = await other.post("/signin/oidc", form={"csrfToken": csrf, "link": "true"})
        assert response.redirect is not None
        async with httpx.AsyncClient() as browser:
            params = await play_user(browser, response.redirect, "grace")
        refused = await other.get("/callback/oidc", query=params)
        assert refused.redirect == f"{APP}/api/auth/error?error=OAuthAccountNotLinked"
        assert {
            a["userId"] for a in rows(adapter, "accounts") if a["providerAccountId"] == "grace"
        } == {ada["id"]}
