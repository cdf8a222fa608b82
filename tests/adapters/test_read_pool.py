"""The session read's own asyncpg connections on a real PostgreSQL (``_read_pool``).

What they must do: answer as SQLAlchemy's read does with one SELECT and no checkout from
SQLAlchemy's pool; honour the engine's connection arguments; close on ``adapter.close()``;
belong to one event loop and one process; never keep a connection a cancelled read left
mid-query; never open more than ``read_connections``. Restarts:
tests/blackbox/test_database_outage.py.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import warnings
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from authgate.adapters.sqlalchemy import (
    READ_CONNECTIONS,
    SERVER_POOL_SIZE,
    SQLAlchemyAdapter,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from _support.postgres_server import PostgresServer

pytestmark = pytest.mark.anyio

TOKEN = "t" * 64


def _dsn(server: PostgresServer) -> str:
    return server.url.replace("postgresql+asyncpg://", "postgresql://")


async def _seed(adapter: SQLAlchemyAdapter) -> None:
    user = await adapter.create_user(
        {"name": "Ada", "email": "ada@example.com", "emailVerified": None}
    )
    expires = datetime.now(UTC) + timedelta(days=30)
    await adapter.create_session({"sessionToken": TOKEN, "userId": user["id"], "expires": expires})


def _checkins(adapter: SQLAlchemyAdapter) -> list[int]:
    """One entry per connection given back to SQLAlchemy's pool.

    ("checkin": a ``checkout`` listener would be connection setup the read pool cannot repeat.)
    """
    seen: list[int] = []
    event.listen(adapter.engine.sync_engine.pool, "checkin", lambda *_: seen.append(1))
    return seen


async def _read_once(adapter: SQLAlchemyAdapter) -> tuple[Any, Any]:
    """Read once; the read pool and its one (idle) connection."""
    assert await adapter.get_session_and_user(TOKEN) is not None
    assert adapter._direct is not None
    pool = adapter._direct.current
    assert pool is not None
    (connection,) = pool._idle
    return pool, connection


async def _until_blocked(locker: Any, pid: int, *, other: bool = False) -> None:
    """Until backend ``pid`` (or, ``other``, any other one) waits for a lock."""
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND (pid = $1) <> $2"
    for _ in range(500):
        if await locker.fetchval(query, pid, other):
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no read waits for the lock")


@pytest.fixture
async def adapter(postgres: PostgresServer) -> AsyncIterator[SQLAlchemyAdapter]:
    made = SQLAlchemyAdapter(postgres.url, create=True, table_prefix=f"p{secrets.token_hex(4)}_")
    try:
        await _seed(made)
        yield made
    finally:
        await made.close()


async def _backends(server: PostgresServer, application_name: str) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(_dsn(server))
    try:
        rows = await connection.fetch(
            "SELECT pid, query, state FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def _until_gone(server: PostgresServer, application_name: str) -> list[dict[str, Any]]:
    # A backend ends a moment after its client closed: wait for the server, not for time.
    for _ in range(200):
        left = await _backends(server, application_name)
        if not left:
            return left
        await asyncio.sleep(0.02)
    return left


async def test_the_read_uses_its_own_connection_and_answers_as_sqlalchemy_does(
    adapter: SQLAlchemyAdapter,
) -> None:
    verified = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    user = await adapter.get_user_by_email("ada@example.com")
    assert user is not None
    await adapter.update_user({"id": user["id"], "emailVerified": verified, "image": "i.png"})
    checkins = _checkins(adapter)
    found = [await adapter.get_session_and_user(TOKEN) for _ in range(3)]
    missing = await adapter.get_session_and_user("u" * 64)
    assert checkins == [], "no connection of SQLAlchemy's pool"
    assert adapter._direct is not None
    pool = adapter._direct.current
    assert pool is not None
    assert pool.size == 1, "one connection, reused"
    async with adapter.transaction() as tx:  # the SQLAlchemy Core path
        core = await tx.get_session_and_user(TOKEN)
    assert found == [core] * 3
    assert missing is None
    assert core is not None
    assert core[1]["emailVerified"] == verified
    assert core[0]["expires"].tzinfo is UTC


async def test_one_select_per_read_on_the_wire(
    adapter: SQLAlchemyAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    connect = asyncpg.connect

    async def logged(**params: Any) -> asyncpg.Connection:
        made = await connect(**params)
        made.add_query_logger(lambda query: seen.append(query.query.split(" ")[0]))
        return made

    monkeypatch.setattr(asyncpg, "connect", logged)  # the read pool connects on first use
    for _ in range(3):
        seen.clear()
        assert await adapter.get_session_and_user(TOKEN) is not None
        await asyncio.sleep(0)  # the query log is written by call_soon
        assert seen == ["SELECT"], "no BEGIN, no ping, no reset query on return"


async def test_the_engines_connection_arguments_are_honoured(postgres: PostgresServer) -> None:
    name = f"authgate-read-{secrets.token_hex(4)}"
    made = SQLAlchemyAdapter(
        postgres.url,
        create=True,
        table_prefix=f"p{secrets.token_hex(4)}_",
        engine_options={"connect_args": {"server_settings": {"application_name": name}}},
    )
    try:
        await _seed(made)
        await made.engine.dispose()  # only the read's connection is left with that name
        assert await made.get_session_and_user(TOKEN) is not None
        assert made._direct is not None
        pool = made._direct.current
        assert pool is not None
        (connection,) = pool._idle
        backends = await _backends(postgres, name)
        assert [b["pid"] for b in backends] == [connection.get_server_pid()]
        assert backends[0]["query"].startswith("SELECT")
        await made.close()
        assert await _until_gone(postgres, name) == [], "closed by adapter.close()"
        assert pool.size == 0
    finally:
        await made.close()


async def test_a_read_after_close_opens_a_new_pool(adapter: SQLAlchemyAdapter) -> None:
    assert await adapter.get_session_and_user(TOKEN) is not None
    assert adapter._direct is not None
    first = adapter._direct.current
    await adapter.close()
    assert first is not None
    assert first.size == 0
    assert await adapter.get_session_and_user(TOKEN) is not None
    assert adapter._direct.current is not first


async def test_never_more_connections_than_read_connections(postgres: PostgresServer) -> None:
    made = SQLAlchemyAdapter(
        postgres.url, create=True, table_prefix=f"p{secrets.token_hex(4)}_", read_connections=2
    )
    try:
        await _seed(made)
        checkins = _checkins(made)
        answers = await asyncio.gather(*(made.get_session_and_user(TOKEN) for _ in range(20)))
        assert all(a is not None and a[1]["email"] == "ada@example.com" for a in answers)
        assert made._direct is not None
        pool = made._direct.current
        assert pool is not None
        assert pool.size <= 2
        assert checkins == [], "the others waited for one of the two"
    finally:
        await made.close()


async def test_a_cancelled_read_does_not_keep_its_connection(
    postgres: PostgresServer, adapter: SQLAlchemyAdapter
) -> None:
    pool, connection = await _read_once(adapter)
    backend = connection.get_server_pid()
    locker = await asyncpg.connect(_dsn(postgres))
    try:
        transaction = locker.transaction()
        await transaction.start()
        table = adapter.tables.sessions.name
        await locker.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        read = asyncio.ensure_future(adapter.get_session_and_user(TOKEN))
        await _until_blocked(locker, backend)  # the read is blocked mid-query
        read.cancel()
        with pytest.raises(asyncio.CancelledError):
            await read
        assert pool.size == 0, "the connection was closed, not given back"
        assert connection.is_closed()
        assert not pool._slots.locked()
        await transaction.rollback()
    finally:
        await locker.close()
    found = await adapter.get_session_and_user(TOKEN)
    assert found is not None, "the next read opens a new connection"
    assert pool.size == 1


async def test_another_event_loop_reads_through_sqlalchemy(
    postgres: PostgresServer, adapter: SQLAlchemyAdapter
) -> None:
    await adapter.engine.dispose()  # SQLAlchemy's connections of this loop: none left
    pool, connection = await _read_once(adapter)
    checkins = _checkins(adapter)

    async def elsewhere() -> Any:
        assert adapter._direct is not None
        try:
            assert adapter._direct.pool() is None, "not this loop's pool"
            return await adapter.get_session_and_user(TOKEN)
        finally:
            await adapter.engine.dispose()  # its connections belong to this loop

    other = await asyncio.to_thread(asyncio.run, elsewhere())
    assert other is not None
    assert other[1]["email"] == "ada@example.com"
    assert checkins, "the other loop read on SQLAlchemy's pool"
    assert adapter._direct is not None
    assert adapter._direct.current is pool
    assert pool is not None
    assert pool._idle == [connection], "untouched by the other loop"
    checkins.clear()
    assert await adapter.get_session_and_user(TOKEN) == other
    assert checkins == []


async def test_a_forked_child_never_uses_the_parents_connections(
    adapter: SQLAlchemyAdapter,
) -> None:
    await adapter.engine.dispose()
    parent_pool, connection = await _read_once(adapter)

    async def in_child() -> bool:
        assert adapter._direct is not None
        pool = adapter._direct.pool()
        found = await adapter.get_session_and_user(TOKEN)
        return (
            pool is not None
            and pool is not parent_pool
            and found is not None
            and parent_pool._idle == [connection]
            and pool.size == 1
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads (3.12+)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            code = 0 if asyncio.run(in_child()) else 1
        finally:
            os._exit(code)  # no finaliser of the parent's objects runs here
    _, status = await asyncio.to_thread(os.waitpid, pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not connection.is_closed()
    assert await adapter.get_session_and_user(TOKEN) is not None
    assert parent_pool._idle == [connection], "the parent's connection still works"


async def test_a_read_inside_a_transaction_sees_its_uncommitted_write(
    adapter: SQLAlchemyAdapter,
) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=40)
    async with adapter.transaction() as tx:
        await tx.update_session(TOKEN, expires=later)
        inside = await tx.get_session_and_user(TOKEN)
        outside = await adapter.get_session_and_user(TOKEN)  # the read pool: committed rows
    assert inside is not None
    assert outside is not None
    assert inside[0]["expires"] == later
    assert outside[0]["expires"] != later
    committed = await adapter.get_session_and_user(TOKEN)
    assert committed is not None
    assert committed[0]["expires"] == later


async def test_connection_setup_it_cannot_repeat_keeps_sqlalchemys_pool(
    postgres: PostgresServer,
) -> None:
    prefix = f"p{secrets.token_hex(4)}_"
    nullpool = SQLAlchemyAdapter(postgres.url, engine_options={"poolclass": NullPool})
    off = SQLAlchemyAdapter(postgres.url, read_connections=0)
    given = SQLAlchemyAdapter(SQLAlchemyAdapter(postgres.url).engine)
    hooked = SQLAlchemyAdapter(postgres.url, create=True, table_prefix=prefix)
    try:
        assert (nullpool._direct, off._direct, given._direct) == (None, None, None)
        pool_sizes = [a.engine.pool.size() for a in (off, hooked)]  # type: ignore[attr-defined]
        assert pool_sizes == [SERVER_POOL_SIZE, SERVER_POOL_SIZE - READ_CONNECTIONS]
        await _seed(hooked)
        set_up: list[int] = []

        @event.listens_for(hooked.engine.sync_engine, "connect")
        def _search_path(dbapi_connection: Any, _record: Any) -> None:
            set_up.append(1)  # an application's SET search_path, say

        await hooked.engine.dispose()
        checkins = _checkins(hooked)
        assert await hooked.get_session_and_user(TOKEN) is not None
        assert hooked._direct is not None
        assert hooked._direct.current is None
        assert checkins == [1]
        assert set_up == [1], "the read ran on a connection the application set up"
    finally:
        for made in (nullpool, off, given, hooked):
            await made.close()


async def test_a_read_that_finds_every_connection_busy_waits_then_uses_sqlalchemy(
    postgres: PostgresServer, impatient: SQLAlchemyAdapter
) -> None:
    made = impatient
    locker = await asyncpg.connect(_dsn(postgres))
    try:
        pool, connection = await _read_once(made)
        checkins = _checkins(made)
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute(f'LOCK TABLE "{made.tables.sessions.name}" IN ACCESS EXCLUSIVE MODE')
        first = asyncio.ensure_future(made.get_session_and_user(TOKEN))  # holds the one
        await _until_blocked(locker, connection.get_server_pid())
        second = asyncio.ensure_future(made.get_session_and_user(TOKEN))
        # past pool_timeout it reads through SQLAlchemy (and waits for the lock too)
        await _until_blocked(locker, connection.get_server_pid(), other=True)
        await transaction.rollback()
        answers = await asyncio.gather(first, second)
        assert answers[0] == answers[1]
        assert answers[0] is not None
        assert checkins == [1], "the second read, on SQLAlchemy's pool"
        assert pool.size == 1
    finally:
        await locker.close()


async def _seed_many(adapter: SQLAlchemyAdapter, tokens: dict[str, str]) -> None:
    """A user per e-mail of ``tokens`` (token -> e-mail) with that session."""
    expires = datetime.now(UTC) + timedelta(days=30)
    for token, email in tokens.items():
        user = await adapter.create_user({"name": email, "email": email, "emailVerified": None})
        await adapter.create_session(
            {"sessionToken": token, "userId": user["id"], "expires": expires}
        )


async def _one_connection_adapter(
    postgres: PostgresServer, **engine_options: Any
) -> AsyncIterator[SQLAlchemyAdapter]:
    """A seeded adapter whose session read has one connection of its own."""
    made = SQLAlchemyAdapter(
        postgres.url,
        create=True,
        table_prefix=f"p{secrets.token_hex(4)}_",
        read_connections=1,
        engine_options=engine_options,
    )
    try:
        await _seed(made)
        yield made
    finally:
        await made.close()


@pytest.fixture
async def one_connection(postgres: PostgresServer) -> AsyncIterator[SQLAlchemyAdapter]:
    async for made in _one_connection_adapter(postgres):
        yield made


@pytest.fixture
async def impatient(postgres: PostgresServer) -> AsyncIterator[SQLAlchemyAdapter]:
    """:func:`one_connection` whose SQLAlchemy pool gives up a wait after half a second."""
    async for made in _one_connection_adapter(postgres, pool_timeout=0.5):
        yield made


@dataclass
class Held:
    """The read pool's one connection, held by ``first``: a read waiting for a table lock."""

    pool: Any
    connection: Any
    locker: Any  # the asyncpg connection holding the lock
    first: asyncio.Future[Any]


@asynccontextmanager
async def _one_read_held(
    postgres: PostgresServer, adapter: SQLAlchemyAdapter
) -> AsyncIterator[Held]:
    """Hold the one read connection with a read blocked mid-query; the lock goes on exit."""
    pool, connection = await _read_once(adapter)
    locker = await asyncpg.connect(_dsn(postgres))
    try:
        transaction = locker.transaction()
        await transaction.start()
        table = adapter.tables.sessions.name
        await locker.execute(f'LOCK TABLE "{table}" IN ACCESS EXCLUSIVE MODE')
        first = asyncio.ensure_future(adapter.get_session_and_user(TOKEN))
        await _until_blocked(locker, connection.get_server_pid())
        yield Held(pool, connection, locker, first)
        await transaction.rollback()
    finally:
        await locker.close()


async def _reads(adapter: SQLAlchemyAdapter, tokens: list[str]) -> list[asyncio.Future[Any]]:
    """Start a read of each token and let each reach the pool (a batch, when it is busy)."""
    reads: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(adapter.get_session_and_user(t)) for t in tokens
    ]
    for _ in range(5):
        await asyncio.sleep(0)
    return reads


async def _while_busy(
    postgres: PostgresServer, adapter: SQLAlchemyAdapter, tokens: list[str]
) -> tuple[Any, list[asyncio.Future[Any]]]:
    """Reads of ``tokens`` while the one connection is held; the lock goes once they all wait
    in one batch. Returns the pool and the reads (the holding one first)."""
    async with _one_read_held(postgres, adapter) as held:
        reads = await _reads(adapter, tokens)
        assert sorted(held.pool._pending) == sorted(set(tokens)), "every read joined the one batch"
    return held.pool, [held.first, *reads]


async def test_reads_that_find_every_connection_busy_are_answered_by_one_select(
    postgres: PostgresServer, one_connection: SQLAlchemyAdapter
) -> None:
    emails = {"c" * 64: "c@example.com", "d" * 64: "d@example.com", "p" * 255: "p@example.com"}
    await _seed_many(one_connection, emails)
    checkins = _checkins(one_connection)
    asked = ["c" * 64, "d" * 64, "c" * 64, "missing", "p" * 255 + "q", "p" * 255, TOKEN]
    pool, reads = await _while_busy(postgres, one_connection, asked)
    first, *answers = await asyncio.gather(*reads)
    assert first is not None
    assert first[1]["email"] == "ada@example.com"
    got = [None if a is None else (a[0]["sessionToken"], a[1]["email"]) for a in answers]
    assert got == [
        ("c" * 64, "c@example.com"),
        ("d" * 64, "d@example.com"),
        ("c" * 64, "c@example.com"),
        None,
        None,  # the stored token is a prefix of it (longer than the column's 255)
        ("p" * 255, "p@example.com"),
        (TOKEN, "ada@example.com"),
    ]
    assert pool.batched_queries == 1
    assert checkins == [], "no read went to SQLAlchemy's pool"
    assert pool.size == 1
    alone = await one_connection.get_session_and_user("d" * 64)  # a free connection: no batch
    assert alone is not None
    assert pool.batched_queries == 1


async def test_a_cancelled_read_leaves_the_batch_to_answer_the_others(
    postgres: PostgresServer, one_connection: SQLAlchemyAdapter
) -> None:
    await _seed_many(one_connection, {"c" * 64: "c@example.com"})
    async with _one_read_held(postgres, one_connection) as held:
        pool, connection, first = held.pool, held.connection, held.first
        leaving, staying = await _reads(one_connection, ["c" * 64, "c" * 64])
        assert list(pool._pending) == ["c" * 64]
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
    assert (await first) is not None
    kept = await staying
    assert kept is not None
    assert kept[1]["email"] == "c@example.com"
    assert pool.batched_queries == 1
    assert connection.is_closed() is False, "nothing was cut mid-query"
    assert pool.size == 1


async def test_a_batch_the_server_refuses_is_read_again_through_sqlalchemy(
    postgres: PostgresServer, one_connection: SQLAlchemyAdapter
) -> None:
    await _seed_many(one_connection, {"c" * 64: "c@example.com"})
    batch = one_connection._driver_batch
    assert batch is not None
    batch.sql = batch.sql.replace("ANY", "ANY_BROKEN")  # the server answers a syntax error
    checkins = _checkins(one_connection)
    pool, reads = await _while_busy(postgres, one_connection, ["c" * 64, "missing", TOKEN])
    first, *answers = await asyncio.gather(*reads)
    assert first is not None
    got = [None if a is None else a[1]["email"] for a in answers]
    assert got == ["c@example.com", None, "ada@example.com"]
    assert pool.batched_queries == 0
    assert len(checkins) == 3, "each read of the failed batch, through SQLAlchemy"


@pytest.mark.parametrize("token", ["a\x00b", "\ud800x", "\x00"])
async def test_a_token_no_column_can_hold_is_no_session_not_a_driver_error(
    adapter: SQLAlchemyAdapter, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    pool, connection = await _read_once(adapter)
    assert await adapter.get_session_and_user(token) is None
    assert await adapter.update_session(token, expires=datetime.now(UTC)) is None
    assert await adapter.delete_session(token) is None
    assert pool._idle == [connection], "the read's connection was not dropped"
    assert await adapter.get_session_and_user(TOKEN) is not None
    assert not [r for r in caplog.records if r.levelname in {"ERROR", "WARNING"}]


async def test_a_batch_that_waits_past_pool_timeout_is_read_through_sqlalchemy(
    postgres: PostgresServer, impatient: SQLAlchemyAdapter
) -> None:
    made = impatient
    await _seed_many(made, {"c" * 64: "c@example.com"})
    checkins = _checkins(made)
    async with _one_read_held(postgres, made) as held:
        pool = held.pool
        batched = await _reads(made, ["c" * 64, "x"])
        assert sorted(pool._pending) == ["c" * 64, "x"]
        # past pool_timeout the batch gives up its wait: both read through SQLAlchemy
        for _ in range(500):
            blocked = await held.locker.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if blocked >= 2:  # the read pool's read and at least one SQLAlchemy read
                break
            await asyncio.sleep(0.01)
    answers = await asyncio.gather(held.first, *batched)
    assert [None if a is None else a[1]["email"] for a in answers] == [
        "ada@example.com",
        "c@example.com",
        None,
    ]
    assert pool.batched_queries == 0
    assert len(checkins) == 2
    assert pool._pending is None


async def test_a_batch_still_waiting_when_the_adapter_closes_is_read_through_sqlalchemy(
    postgres: PostgresServer, one_connection: SQLAlchemyAdapter
) -> None:
    await _seed_many(one_connection, {"c" * 64: "c@example.com"})
    async with _one_read_held(postgres, one_connection) as held:
        pool, first = held.pool, held.first
        (batched,) = await _reads(one_connection, ["c" * 64])
        assert list(pool._pending) == ["c" * 64]
        await one_connection.close()
    assert (await first) is not None
    found = await batched
    assert found is not None
    assert found[1]["email"] == "c@example.com"
    assert pool.batched_queries == 0, "a closed pool reads no batch"
    assert pool.size == 0
