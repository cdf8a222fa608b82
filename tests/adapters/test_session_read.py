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
