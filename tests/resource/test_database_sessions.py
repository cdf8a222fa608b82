"""``NextAuthSession(adapter=...)``: database sessions of a Next.js app sharing the database."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from authgate import AuthRequest
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.errors import ConfigurationError
from authgate.resource import NextAuthSession

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

NOW = 1_800_000_000.0
TOKEN = "0123456789abcdef" * 4


def request(cookie: str | None = None) -> AuthRequest:
    headers = [("cookie", cookie)] if cookie is not None else []
    return AuthRequest.build(method="GET", path="/api/orders", headers=headers)


@pytest.fixture
async def adapter(tmp_path: Path) -> AsyncIterator[SQLAlchemyAdapter]:
    """The Next.js app's SQLite database, with Ada signed in (TOKEN) and an expired session."""
    made = SQLAlchemyAdapter(tmp_path / "app.db")
    user = await made.create_user(
        {"email": "ada@example.com", "emailVerified": None, "name": "Ada"}
    )
    moment = datetime.fromtimestamp(NOW, UTC)
    await made.create_session(
        {"sessionToken": TOKEN, "userId": user["id"], "expires": moment + timedelta(days=1)}
    )
    await made.create_session(
        {"sessionToken": "e" * 64, "userId": user["id"], "expires": moment - timedelta(seconds=1)}
    )
    yield made
    await made.close()


async def test_reads_the_session_and_its_user(adapter: SQLAlchemyAdapter) -> None:
    reader = NextAuthSession(adapter=adapter, env={})  # no secret needed
    found = await reader.read_database(request(f"next-auth.session-token={TOKEN}"), now=NOW)
    assert found is not None
    session, user = found
    assert session["sessionToken"] == TOKEN
    assert session["userId"] == user["id"]
    assert user["email"] == "ada@example.com"
    assert user["name"] == "Ada"
    secure = await reader.read_database(
        request(f"__Secure-next-auth.session-token={TOKEN}"), now=NOW
    )
    assert secure is not None


async def test_authjs_v5_cookie_names(adapter: SQLAlchemyAdapter) -> None:
    reader = NextAuthSession(adapter=adapter, profile="authjs-v5", env={})
    assert await reader.read_database(request(f"authjs.session-token={TOKEN}"), now=NOW)
    assert await reader.read_database(request(f"next-auth.session-token={TOKEN}"), now=NOW) is None
    custom = NextAuthSession(adapter=adapter, cookie_name="app.sid", env={})
    assert await custom.read_database(request(f"app.sid={TOKEN}"), now=NOW)


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        "other=1",
        "next-auth.session-token=",
        "next-auth.session-token=unknown",
        f"next-auth.session-token={'e' * 64}",  # expired
        f"next-auth.session-token={'a' * 300}",  # longer than the column
    ],
)
async def test_no_session(adapter: SQLAlchemyAdapter, cookie: str | None) -> None:
    reader = NextAuthSession(adapter=adapter, env={})
    assert await reader.read_database(request(cookie), now=NOW) is None


async def test_expired_rows_are_left_alone(adapter: SQLAlchemyAdapter) -> None:
    reader = NextAuthSession(adapter=adapter, env={})
    assert (
        await reader.read_database(request(f"next-auth.session-token={'e' * 64}"), now=NOW) is None
    )
    assert await adapter.get_session_and_user("e" * 64) is not None, "read-only"
    later = NOW + 2 * 86400
    assert (
        await reader.read_database(request(f"next-auth.session-token={TOKEN}"), now=later) is None
    )


async def test_a_failing_database_is_no_session(
    adapter: SQLAlchemyAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    class Down(SQLAlchemyAdapter):
        async def get_session_and_user(self, session_token: str) -> Any:
            raise OSError(f"connection refused while looking up {session_token}")

    reader = NextAuthSession(adapter=Down(":memory:"), env={})
    with caplog.at_level(logging.ERROR, logger="authgate"):
        assert await reader.read_database(request(f"next-auth.session-token={TOKEN}")) is None
    assert "SESSION_ERROR" in caplog.text
    assert TOKEN not in caplog.text


async def test_configuration() -> None:
    with pytest.raises(ConfigurationError, match="adapter"):
        await NextAuthSession(secret="s" * 32, env={}).read_database(request())
    adapter_only = NextAuthSession(adapter=SQLAlchemyAdapter(":memory:"), env={})
    with pytest.raises(ConfigurationError, match="secret"):
        adapter_only.read(request())
    # Both: JWTs with read(), database sessions with read_database().
    both = NextAuthSession(secret="s" * 32, adapter=SQLAlchemyAdapter(":memory:"), env={})
    assert both.read(request()) is None
