"""``SQLAlchemyAdapter.delete_expired`` and ``authgate db prune`` on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import anyio
import pytest

from authgate.adapters.sqlalchemy import Pruned, SQLAlchemyAdapter
from authgate.cli import main

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from _support.postgres_server import PostgresServer

NOW = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """A database and a table prefix of its own (the PostgreSQL server is shared)."""
    if request.param == "sqlite":
        return str(tmp_path / "auth.db"), ""
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url, f"prune_{secrets.token_hex(4)}_"


@pytest.fixture
async def adapter(target: tuple[str, str]) -> AsyncIterator[SQLAlchemyAdapter]:
    url, prefix = target
    made = SQLAlchemyAdapter(url, create=True, table_prefix=prefix)
    try:
        yield made
    finally:
        await made.close()


async def fill(adapter: SQLAlchemyAdapter, at: datetime) -> dict[str, str]:
    """Sessions and tokens expired before ``at``, exactly at ``at``, and alive after it."""
    user = await adapter.create_user({"email": "ada@example.com", "emailVerified": None})
    tokens = {}
    for name, expires in (("old", at - DAY), ("edge", at), ("live", at + DAY)):
        tokens[name] = secrets.token_hex(32)
        await adapter.create_session(
            {"sessionToken": tokens[name], "userId": user["id"], "expires": expires}
        )
        await adapter.create_verification_token(
            {"identifier": f"{name}@example.com", "token": tokens[name], "expires": expires}
        )
    return tokens


@pytest.mark.anyio
async def test_delete_expired(adapter: SQLAlchemyAdapter) -> None:
    tokens = await fill(adapter, NOW)
    assert await adapter.delete_expired(NOW) == Pruned(sessions=2, verification_tokens=2)
    assert await adapter.get_session_and_user(tokens["old"]) is None
    assert await adapter.get_session_and_user(tokens["edge"]) is None
    live = await adapter.get_session_and_user(tokens["live"])
    assert live is not None
    assert live[1]["email"] == "ada@example.com", "the user stays"
    assert await adapter.use_verification_token("old@example.com", tokens["old"]) is None
    assert await adapter.use_verification_token("live@example.com", tokens["live"]) is not None
    again = await adapter.delete_expired(NOW)
    assert again == Pruned(0, 0)
    assert again.total == 0


@pytest.mark.anyio
async def test_delete_expired_defaults_to_now(adapter: SQLAlchemyAdapter) -> None:
    tokens = await fill(adapter, datetime.now(UTC) - timedelta(hours=1))
    pruned = await adapter.delete_expired()
    assert pruned.sessions == 2
    assert pruned.total == 4
    assert await adapter.get_session_and_user(tokens["live"]) is not None


@pytest.mark.anyio
async def test_delete_expired_refuses_a_naive_datetime() -> None:
    adapter = SQLAlchemyAdapter(":memory:")
    try:
        with pytest.raises(ValueError, match="timezone-aware"):
            await adapter.delete_expired(datetime(2027, 1, 1))  # noqa: DTZ001
    finally:
        await adapter.close()


def test_db_prune(target: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    url, prefix = target
    kept: dict[str, Any] = {}

    async def prepare() -> None:
        adapter = SQLAlchemyAdapter(url, create=True, table_prefix=prefix)
        try:
            kept.update(await fill(adapter, datetime.now(UTC) - timedelta(minutes=5)))
        finally:
            await adapter.close()

    async def alive() -> bool:
        adapter = SQLAlchemyAdapter(url, table_prefix=prefix)
        try:
            return await adapter.get_session_and_user(kept["live"]) is not None
        finally:
            await adapter.close()

    anyio.run(prepare)
    args = ["db", "prune", url] + (["--prefix", prefix] if prefix else [])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "deleted 2 expired session(s), 2 expired verification token(s) and 0 device" in out
    assert "@" not in out.replace("@127.0.0.1", ""), "no addresses or credentials printed"
    assert anyio.run(alive)
    assert main(args) == 0
    assert "deleted 0 expired session(s)" in capsys.readouterr().out


def test_db_prune_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "auth.db"
    assert main(["db", "init", str(path)]) == 0
    monkeypatch.setenv("AUTHGATE_DATABASE_URL", str(path))
    assert main(["db", "prune"]) == 0
    assert "deleted 0 expired session(s)" in capsys.readouterr().out
    monkeypatch.delenv("AUTHGATE_DATABASE_URL")
    assert main(["db", "prune"]) == 2


def test_db_prune_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.db"
    assert main(["db", "prune", str(missing)]) == 1
    assert not missing.exists(), "prune never creates a database"
    assert "no such SQLite file" in capsys.readouterr().err
    # A database without the tables, and an unreachable server: an error, no secret printed.
    assert main(["db", "prune", f"sqlite:///{tmp_path / 'empty.db'}"]) == 1
    url = "postgresql+asyncpg://user:s3cret@127.0.0.1:1/db"
    assert main(["db", "prune", url]) == 1
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err
    assert "failed" in captured.err
