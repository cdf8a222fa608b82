"""The database session read: one SELECT, without BEGIN/COMMIT round trips on PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from authgate.adapters.sqlalchemy import READ_CONNECTIONS, SERVER_POOL_SIZE, SQLAlchemyAdapter

if TYPE_CHECKING:
    from _support.postgres_server import PostgresServer

pytestmark = pytest.mark.anyio


async def _seed(adapter: SQLAlchemyAdapter) -> None:
    user = await adapter.create_user(
        {"name": "Ada", "email": "ada@example.com", "emailVerified": None}
    )
    expires = datetime.now(UTC) + timedelta(days=30)
    await adapter.create_session(
        {"sessionToken": "t" * 64, "userId": user["id"], "expires": expires}
    )


def _prefix() -> str:
    return f"r{secrets.token_hex(4)}_"  # the PostgreSQL server is shared by the session's tests


def _log_statements(adapter: SQLAlchemyAdapter) -> list[str]:
    """The first word of the statements asyncpg sends outside prepared-statement calls.

    Its query log holds pings, BEGIN/ROLLBACK and ``fetchrow``, not SQLAlchemy's prepared
    statements; it is written by ``call_soon``: read it after :func:`_flushed`.
    """
    seen: list[str] = []

    @event.listens_for(adapter.engine.sync_engine.pool, "connect")
    def _connected(dbapi_connection: Any, _record: Any) -> None:
        raw = dbapi_connection.driver_connection
        raw.add_query_logger(lambda query: seen.append(query.query.split(" ")[0].rstrip(";")))

    return seen


async def _flushed(seen: list[str]) -> list[str]:
    await asyncio.sleep(0)
    return seen


async def test_postgres_reads_a_session_with_one_statement_outside_a_transaction(
    postgres: PostgresServer,
) -> None:
    adapter = SQLAlchemyAdapter(postgres.url, create=True, table_prefix=_prefix())
    seen = _log_statements(adapter)
    try:
        await _seed(adapter)
        for _ in range(3):  # a pooled connection too: no test (BEGIN, ping, ROLLBACK) first
            seen.clear()
            found = await adapter.get_session_and_user("t" * 64)
            assert found is not None
            session, user = found
            assert (user["email"], user["id"], user["emailVerified"]) == (
                "ada@example.com",
                "1",
                None,
            )
            assert (session["sessionToken"], session["userId"]) == ("t" * 64, "1")
            assert session["expires"].tzinfo is UTC
            assert await _flushed(seen) == ["SELECT"]  # no BEGIN: outside a transaction
        seen.clear()
        assert await adapter.get_session_and_user("u" * 64) is None
        assert await _flushed(seen) == ["SELECT"]
        # A write's connection is tested first (BEGIN, ping, ROLLBACK), then its transaction.
        seen.clear()
        await adapter.update_session("t" * 64, expires=datetime.now(UTC) + timedelta(days=31))
        assert await _flushed(seen) == ["BEGIN", "", "ROLLBACK", "BEGIN", "COMMIT"]
    finally:
        await adapter.close()


async def test_the_driver_read_answers_as_sqlalchemy_does(postgres: PostgresServer) -> None:
    adapter = SQLAlchemyAdapter(postgres.url, create=True, table_prefix=_prefix())
    try:
        await _seed(adapter)
        verified = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
        user = await adapter.get_user_by_email("ada@example.com")
        assert user is not None
        await adapter.update_user({"id": user["id"], "emailVerified": verified, "image": "i.png"})
        fast = await adapter.get_session_and_user("t" * 64)
        async with adapter.transaction() as tx:  # the SQLAlchemy Core path
            core = await tx.get_session_and_user("t" * 64)
        assert fast == core
        assert fast is not None
        assert fast[1]["emailVerified"] == verified
        assert fast[1]["emailVerified"].tzinfo is UTC
    finally:
        await adapter.close()


async def test_a_read_inside_a_transaction_sees_its_uncommitted_write(tmp_path: Any) -> None:
    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        await _seed(adapter)
        async with adapter.transaction() as tx:
            later = datetime.now(UTC) + timedelta(days=40)
            await tx.update_session("t" * 64, expires=later)
            found = await tx.get_session_and_user("t" * 64)
            assert found is not None
            assert found[0]["expires"] == later
    finally:
        await adapter.close()


async def test_a_sqlite_file_session_is_read_inline_without_the_async_driver(
    tmp_path: Any,
) -> None:
    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        await _seed(adapter)
        async_statements: list[str] = []

        @event.listens_for(adapter.engine.sync_engine, "after_cursor_execute")
        def _statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            async_statements.append(statement.split()[0])

        found = await adapter.get_session_and_user("t" * 64)
        assert found is not None
        session, user = found
        assert user["email"] == "ada@example.com"
        assert session["expires"].tzinfo is UTC
        assert await adapter.get_session_and_user("u" * 64) is None
        assert async_statements == []  # neither read went through aiosqlite
        # Writes still do, and the next inline read sees them.
        later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=31)
        await adapter.update_session("t" * 64, expires=later)
        assert "UPDATE" in async_statements
        found = await adapter.get_session_and_user("t" * 64)
        assert found is not None
        assert found[0]["expires"] == later
        await adapter.delete_session("t" * 64)
        assert await adapter.get_session_and_user("t" * 64) is None
    finally:
        await adapter.close()


async def test_a_locked_sqlite_file_falls_back_to_the_async_read(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        await _seed(adapter)
        failed: list[str] = []
        waited: list[str] = []
        inline = adapter._inline_read
        assert inline is not None

        class Recording:
            def run_sync(self, engine: Any, token: str) -> Any:
                assert inline is not None
                try:
                    return inline.run_sync(engine, token)
                except sqlite3.Error as exc:
                    failed.append(str(exc))
                    raise

        monkeypatch.setattr(adapter, "_inline_read", Recording())
        event.listen(
            adapter.engine.sync_engine,
            "after_cursor_execute",
            lambda conn, cursor, statement, *args: waited.append(statement.split()[0]),
        )
        writer = sqlite3.connect(tmp_path / "auth.db", isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        read = asyncio.ensure_future(adapter.get_session_and_user("t" * 64))
        await asyncio.sleep(0)  # the inline attempt runs and fails at once (no busy wait)
        assert failed == ["database is locked"]
        assert not read.done()
        writer.execute("ROLLBACK")  # the async read waits for the lock, then answers
        writer.close()
        found = await read
        assert found is not None
        assert found[1]["email"] == "ada@example.com"
        assert waited == ["SELECT"]
    finally:
        await adapter.close()


async def test_memory_databases_and_given_engines_keep_the_async_read(tmp_path: Any) -> None:
    memory = SQLAlchemyAdapter(":memory:")
    engine_given = SQLAlchemyAdapter(SQLAlchemyAdapter(tmp_path / "auth.db").engine)
    try:
        assert memory._inline is None
        assert engine_given._inline is None
        await _seed(memory)
        assert await memory.get_session_and_user("t" * 64) is not None
    finally:
        await memory.close()
        await engine_given.close()


async def test_a_server_database_keeps_its_connections_open() -> None:
    # SQLAlchemy's default (5 kept + 10 overflow) closes overflow connections on return, so a
    # steady load above 5 reads at once opened a connection every few requests.
    url = "postgresql+asyncpg://app@127.0.0.1:1/app"
    # 15 per process in all by default: the session read's own connections and SQLAlchemy's.
    default = SQLAlchemyAdapter(url)
    chosen = SQLAlchemyAdapter(url, engine_options={"pool_size": 3, "max_overflow": 2})
    no_read_pool = SQLAlchemyAdapter(url, read_connections=0)
    try:
        pools: list[Any] = [default.engine.pool, chosen.engine.pool, no_read_pool.engine.pool]
        sizes = [(p.size(), getattr(p, "_max_overflow")) for p in pools]  # noqa: B009
        assert sizes == [(SERVER_POOL_SIZE - READ_CONNECTIONS, 0), (3, 2), (SERVER_POOL_SIZE, 0)]
        assert SERVER_POOL_SIZE == 15  # SQLAlchemy's ceiling (5 + 10), now kept open
        assert READ_CONNECTIONS == 5
        assert default._direct is not None
        assert chosen._direct is not None  # its own 5 on top of pool_size + max_overflow
        assert no_read_pool._direct is None
    finally:
        await default.close()
        await chosen.close()
        await no_read_pool.close()
