"""Database sessions from Python: list a user's sessions, end one, end all (SQLite and memory)."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

import pytest

from _support.redis_server import free_port
from authgate.adapters.memory import MemoryAdapter
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.errors import ConfigurationError

from .conftest import NOW, SESSION, Client, body_json
from .test_database_sessions import db_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.anyio

DAY = 86_400


@pytest.fixture(params=["memory", "sqlite"])
async def adapter(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryAdapter()
        return
    made = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        yield made
    finally:
        await made.close()


async def devices(adapter: Any, count: int) -> tuple[Any, list[Client]]:
    gate = db_gate(adapter)
    clients = [Client(gate) for _ in range(count)]
    for client in clients:
        await client.sign_in()
    return gate, clients


async def signed_in(client: Client) -> bool:
    return bool(body_json(await client.get("/session")))


async def test_list_names_sessions_by_a_digest_never_the_token(adapter: Any) -> None:
    gate, clients = await devices(adapter, 2)
    listed = await gate.list_sessions("1", now=NOW)
    assert listed == await gate.list_sessions(1, now=NOW), "ids as ints are strings"
    user_id = (await adapter.get_session_and_user(clients[0].jar[SESSION]))[1]["id"]
    listed = await gate.list_sessions(user_id, now=NOW)
    assert len(listed) == 2
    tokens = {c.jar[SESSION] for c in clients}
    assert all(len(s.id) == 32 and s.id not in tokens for s in listed)
    assert not any(s.id in t for s in listed for t in tokens)
    assert await gate.list_sessions(user_id, now=NOW + 31 * DAY) == [], "expired ones are left out"
    assert await gate.list_sessions("nobody", now=NOW) == []


async def test_end_one_session_and_then_all(adapter: Any, caplog: pytest.LogCaptureFixture) -> None:
    gate, (laptop, phone, tablet) = await devices(adapter, 3)
    tokens = [c.jar[SESSION] for c in (laptop, phone, tablet)]
    user_id = (await adapter.get_session_and_user(laptop.jar[SESSION]))[1]["id"]
    target = next(
        s
        for s in await gate.list_sessions(user_id, now=NOW)
        if s.id == hashlib.sha256(phone.jar[SESSION].encode()).hexdigest()[:32]
    )
    caplog.set_level(logging.INFO, logger="authgate")
    await gate.end_session(user_id, target.id)
    assert not await signed_in(phone)
    assert await signed_in(laptop)
    assert await signed_in(tablet)
    await gate.end_session(user_id, "not-a-session")  # nothing to end: not an error
    await gate.end_sessions(user_id, now=NOW)
    assert not await signed_in(laptop)
    assert not await signed_in(tablet)
    assert await gate.list_sessions(user_id, now=NOW) == []
    assert "SESSION_ENDED" in caplog.text
    assert "SESSIONS_ENDED" in caplog.text
    assert not [t for t in tokens if t in caplog.text]


async def test_an_adapter_that_cannot_list_is_a_configuration_error() -> None:
    class Plain(MemoryAdapter):
        get_sessions_by_user = None  # type: ignore[assignment]

    gate = db_gate(Plain())
    with pytest.raises(ConfigurationError, match="get_sessions_by_user"):
        await gate.list_sessions("1")


async def test_health_reports_a_failing_adapter(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()  # nothing listens there: a PostgreSQL that is down
    adapter = SQLAlchemyAdapter(f"postgresql://authgate:pw-secret@127.0.0.1:{port}/authgate")
    try:
        gate = db_gate(adapter)
        with caplog.at_level(logging.ERROR, logger="authgate"):
            assert await gate.health() == {"adapter": "down"}
        assert "HEALTH_CHECK_FAILED: adapter (" in caplog.text
        assert "pw-secret" not in caplog.text
        assert str(port) not in caplog.text, "only the error's type is logged"
        assert await db_gate(MemoryAdapter()).health() == {"adapter": "ok"}
    finally:
        await adapter.close()
