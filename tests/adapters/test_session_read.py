"""The database session read: one SELECT, without BEGIN/COMMIT round trips on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

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


async def test_postgres_reads_a_session_with_one_statement_outside_a_transaction(
    postgres: PostgresServer,
) -> None:
    adapter = SQLAlchemyAdapter(postgres.url, create=True)
    try:
        await _seed(adapter)
        seen: list[tuple[str, bool]] = []

        @event.listens_for(adapter.engine.sync_engine, "after_cursor_execute")
        def _statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            raw = conn.connection.driver_connection  # the asyncpg connection
            seen.append((statement.split()[0], raw.is_in_transaction()))

        found = await adapter.get_session_and_user("t" * 64)
        assert found is not None
        assert found[1]["email"] == "ada@example.com"
        assert seen == [("SELECT", False)]
        seen.clear()
        assert await adapter.get_session_and_user("u" * 64) is None
        assert seen == [("SELECT", False)]
        # Writes still run in a transaction.
        await adapter.update_session("t" * 64, expires=datetime.now(UTC) + timedelta(days=31))
        assert ("UPDATE", True) in seen
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


async def test_a_locked_sqlite_file_falls_back_to_the_async_read(tmp_path: Any) -> None:
    import asyncio
    import sqlite3

    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        await _seed(adapter)
        failed: list[str] = []
        assert adapter._inline is not None
        event.listen(
            adapter._inline, "handle_error", lambda ctx: failed.append(str(ctx.original_exception))
        )
        writer = sqlite3.connect(tmp_path / "auth.db", isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        read = asyncio.ensure_future(adapter.get_session_and_user("t" * 64))
        await asyncio.sleep(0)  # the inline attempt runs and fails at once (no busy wait)
        assert failed == ["database is locked"]
        writer.execute("ROLLBACK")  # the async read waits for the lock, then answers
        writer.close()
        found = await read
        assert found is not None
        assert found[1]["email"] == "ada@example.com"
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
