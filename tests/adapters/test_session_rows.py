"""A database session's device and sign-in-method rows go with it, on SQLite and PostgreSQL.

``SessionConfig(devices=True)`` records each session's device in ``authgate_session_devices``;
two-factor records its methods in ``authgate_session_methods``. Neither has a foreign key to
Auth.js's ``sessions`` table, so the adapter deletes them with the session (sign-out, ending
one or all sessions, an expired session read, the user deleted), and ``authgate db prune``
removes those of expired sessions and any left by sessions deleted some other way.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, func, select

from authgate.adapters.sqlalchemy import Pruned, SQLAlchemyAdapter
from blackbox.conftest import NOW, SESSION
from blackbox.test_sessions_page import FIREFOX, database_gate, device

from . import test_prune

if TYPE_CHECKING:
    from sqlalchemy import Table

pytestmark = pytest.mark.anyio

# The fixtures: SQLite and a real PostgreSQL, an adapter on each.
target, adapter = test_prune.target, test_prune.adapter
DAY = 24 * 3600.0


async def tokens_in(adapter: SQLAlchemyAdapter, table: Table) -> set[str]:
    async with adapter.engine.connect() as conn:
        rows = (await conn.execute(select(table.c.sessionToken))).all()
    return {row[0] for row in rows}


async def count(adapter: SQLAlchemyAdapter, table: Table) -> int:
    async with adapter.engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_the_device_row_ends_with_its_session(adapter: SQLAlchemyAdapter) -> None:
    gate = database_gate(adapter)
    devices = adapter.tables.session_devices
    laptop, phone, tablet, spare = [
        await device(gate, "ada", FIREFOX, f"203.0.113.{n}") for n in range(4)
    ]
    assert await count(adapter, devices) == 4
    user = await adapter.get_user_by_email("ada@example.com")
    assert user is not None

    token = laptop.jar[SESSION]
    assert (await laptop.post("/signout", form={"csrfToken": await laptop.csrf()})).status == 302
    assert token not in await tokens_in(adapter, devices), "sign-out"

    sid = hashlib.sha256(phone.jar[SESSION].encode()).hexdigest()[:32]
    await gate.end_session(user["id"], sid)
    assert phone.jar[SESSION] not in await tokens_in(adapter, devices), "one session ended"

    expired = await tablet.get("/session", now=NOW + 31 * DAY)
    assert expired.body == b"{}"
    assert tablet.jar.get(SESSION) not in await tokens_in(adapter, devices), "expired"
    assert await tokens_in(adapter, devices) == {spare.jar[SESSION]}

    await device(gate, "ada", FIREFOX, "203.0.113.9")
    await gate.end_sessions(user["id"], now=NOW)
    assert await count(adapter, devices) == 0, "every session of the user ended"
    await device(gate, "ada", FIREFOX, "203.0.113.9")
    await adapter.delete_user(user["id"])
    assert await count(adapter, devices) == 0, "the user deleted"


async def test_prune_removes_the_rows_of_expired_and_vanished_sessions(
    adapter: SQLAlchemyAdapter,
) -> None:
    now = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    user = await adapter.create_user({"email": "ada@example.com", "emailVerified": None})
    moments = {"expired": now - timedelta(days=1), "live": now + timedelta(days=1)}
    moments["vanished"] = moments["live"]
    for name, expires in moments.items():
        session = {"sessionToken": name, "userId": user["id"], "expires": expires}
        await adapter.create_session(session)  # type: ignore[arg-type]
        await adapter.set_session_device(
            name, {"createdAt": now, "lastSeen": now, "userAgent": "x", "ipPrefix": None}
        )
        await adapter.set_session_methods(name, ["pwd", "otp"])
    sessions = adapter.tables.sessions
    async with adapter.engine.begin() as conn:  # the app deleted one without authgate
        await conn.execute(delete(sessions).where(sessions.c.sessionToken == "vanished"))

    pruned = await adapter.delete_expired(now)
    assert pruned == Pruned(sessions=1, verification_tokens=0, session_rows=2)
    for table in (adapter.tables.session_devices, adapter.tables.session_methods):
        assert await tokens_in(adapter, table) == {"live"}, table.name
    assert await adapter.get_session_methods("live") == ["pwd", "otp"]
    assert (await adapter.delete_expired(now)).total == 0
