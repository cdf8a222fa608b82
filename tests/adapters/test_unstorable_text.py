"""Lookups by text no column can hold (a NUL, a lone surrogate) find nothing, quietly.

A cookie's ``%00`` or an e-mail link's ``email=%00`` reaches the adapter as a NUL; PostgreSQL
rejects such text with an error, and SQLite's driver cannot encode a lone surrogate. Either
used to surface as a driver error: a logged traceback, the session read's connections
dropped, the e-mail link answered ``Callback`` (a server fault) instead of ``Verification``.
A sign-in whose user holds such text is refused before any write (``CredentialsSignin``, one
warning), on SQLite too, which would store it: from ``authorize``, and from a real OpenID
provider (oidc-provider on loopback answers ``"name": "Ada\\u0000 Lovelace"`` or a lone
surrogate for the logins ``nul-...`` and ``surrogate-...``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from authgate import AuthConfig, AuthGate, AuthRequest, SessionConfig
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import Credentials, Email
from blackbox.conftest import Client
from oidc.test_oidc_adapter import APP, Recorder, issuer, make_gate, sign_in  # type: ignore[attr-defined]

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from _support.postgres_server import PostgresServer
    from authgate.providers.email import VerificationRequest

pytestmark = pytest.mark.anyio

__all__ = ["issuer"]  # a fixture, re-used

UNSTORABLE = ["a\x00b", "\x00", "\ud800x", "ada@example.com\x00"]


@pytest.fixture(params=["postgresql", "sqlite"])
async def adapter(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[SQLAlchemyAdapter]:
    if request.param == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres")
        made = SQLAlchemyAdapter(server.url, create=True, table_prefix=f"u{secrets.token_hex(4)}_")
    else:
        made = SQLAlchemyAdapter(str(tmp_path / "auth.db"))
    await made.create_tables()
    try:
        yield made
    finally:
        await made.close()


@pytest.mark.parametrize("text", UNSTORABLE)
async def test_every_lookup_by_unstorable_text_finds_nothing(
    adapter: SQLAlchemyAdapter, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert await adapter.get_session_and_user(text) is None
        assert await adapter.update_session(text, expires=datetime.now(UTC)) is None
        assert await adapter.delete_session(text) is None
        assert await adapter.get_user_by_email(text) is None
        assert await adapter.get_user_by_account("github", text) is None
        assert await adapter.get_user_by_account(text, "1") is None
        assert await adapter.use_verification_token(text, "0" * 64) is None
        assert await adapter.use_verification_token("ada@example.com", text) is None
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_an_email_link_with_a_nul_in_its_address_is_a_verification_error(
    adapter: SQLAlchemyAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    async def send(request: VerificationRequest) -> None:
        return None

    gate = AuthGate(
        AuthConfig(
            providers=[Email(send_verification_request=send)],
            adapter=adapter,
            secret="s" * 32,
            url="http://127.0.0.1:8000/api/auth",
        ),
        env={},
    )
    with caplog.at_level(logging.WARNING):
        response = await gate.handle(
            AuthRequest.build(
                method="GET",
                path="/api/auth/callback/email",
                query_string=b"token=abc&email=ada%00%40example.com",
            )
        )
    assert response.redirect == "http://127.0.0.1:8000/api/auth/error?error=Verification"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("name", ["A\x00da", "A\ud800da"])
async def test_a_credentials_user_no_column_can_hold_is_refused_before_any_write(
    adapter: SQLAlchemyAdapter, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    def authorize(credentials: Any, request: Any) -> dict[str, Any]:
        return {"id": "1", "name": name, "email": "ada@example.com"}

    gate = AuthGate(
        AuthConfig(
            providers=[Credentials(authorize=authorize, database_session=True)],
            adapter=adapter,
            session=SessionConfig(strategy="database"),
            secret="s" * 32,
            url="http://127.0.0.1:8000/api/auth",
        ),
        env={},
    )
    client = Client(gate)
    with caplog.at_level(logging.INFO, logger="authgate"):
        response = await client.sign_in()
    assert response.redirect == (
        "http://127.0.0.1:8000/api/auth/error?error=CredentialsSignin&provider=credentials"
    )
    assert await adapter.get_user_by_email("ada@example.com") is None
    assert [r.levelname for r in caplog.records if r.levelno >= logging.WARNING] == ["WARNING"]


@pytest.mark.parametrize("login", ["nul-ada", "surrogate-ada"])
async def test_a_profile_no_database_can_store_is_refused_before_any_write(
    issuer: str, adapter: SQLAlchemyAdapter, login: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    async with httpx.AsyncClient() as outbound:
        client = Client(make_gate(issuer, outbound, adapter, recorder), now=None)
        with caplog.at_level(logging.INFO, logger="authgate"):
            landed = await sign_in(client, login)
        assert landed.redirect == f"{APP}/api/auth/error?error=Callback"
        assert "next-auth.session-token" not in client.jar
        assert await adapter.get_user_by_email(f"{login}@example.com") is None, "nothing stored"
        assert await adapter.get_user_by_account("oidc", login) is None
        assert recorder.names() == []
        [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert warning.levelno == logging.WARNING
        assert "user field 'name' holds a NUL or a lone surrogate" in warning.getMessage()
        assert "SIGNIN_RETRY" not in caplog.text, "refused at once, not retried"

        fine = await sign_in(Client(client.gate, now=None), "ada")
        assert fine.redirect == f"{APP}/welcome", "the provider and the adapter still work"
