"""The sync bridge's engine path: on the caller's thread until the engine needs the loop.

``run_engine`` drives ``gate.handle`` / ``gate.get_session`` with ``coroutine.send(None)``
and no loop; ``await needs_loop()`` hands the rest to the process loop. These tests prove
which configurations finish without a loop, that the hand-over keeps loop-bound clients
(SQLite and PostgreSQL through SQLAlchemy's async engine) on the one process loop, and that
many threads at once and a caller inside a running loop behave (``fork``: test_sync_bridge.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from authgate import AuthRequest, Callbacks, Events, SessionConfig, jwt
from authgate._core.loop_needed import LOOP_NEEDED, needs_loop
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.integrations._sync import SyncBridge, bridge, run_engine, run_sync
from authgate.providers import Credentials
from authgate.revocation import MemoryRevocationStore, RevocationStore, new_session_id
from authgate.revocation.redis import RedisRevocationStore

from .support import SECRET, authorize, make_gate

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterator
    from pathlib import Path

    from _support.postgres_server import PostgresServer
    from _support.redis_server import RedisServer
    from authgate import AuthGate

CLAIMS = {"sub": "u1", "name": "Ada", "email": "ada@example.com"}
DB_TOKEN = "d" * 64


def request_for(path: str, cookie: str) -> AuthRequest:
    headers = [("host", "testserver"), ("cookie", cookie)]
    return AuthRequest.build(method="GET", path=path, headers=headers)


def jwt_cookie(**claims: Any) -> str:
    return "next-auth.session-token=" + jwt.encode({**CLAIMS, **claims}, SECRET)


def finishes_without_a_loop(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """The engine's answer if it completes in one step with no loop; fails otherwise."""
    try:
        yielded = coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    pytest.fail(f"suspended on {yielded!r}: this configuration needs a loop")


def asks_for_the_loop(coroutine: Coroutine[Any, Any, Any]) -> None:
    try:
        yielded = coroutine.send(None)
    finally:
        coroutine.close()
    assert yielded is LOOP_NEEDED


def sync_jwt(token: dict[str, Any]) -> dict[str, Any]:
    return {**token, "role": "admin"}


def sync_session(session: dict[str, Any], token: dict[str, Any]) -> dict[str, Any]:
    return {**session, "role": token.get("role")}


async def async_jwt(token: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0)  # needs the loop: without needs_loop() this would fail
    return {**token, "role": "async"}


def on_session(session: dict[str, Any]) -> None:
    return None


LOOP_FREE = {
    "jwt, defaults": {},
    "jwt, sync callbacks": {"callbacks": Callbacks(jwt=sync_jwt, session=sync_session)},
    "jwt, memory revocation": {"revocation": MemoryRevocationStore()},
    "jwt, sync session event": {"events": Events(session=on_session)},
}


@pytest.mark.parametrize("config", LOOP_FREE.values(), ids=LOOP_FREE.keys())
def test_these_configurations_read_a_session_without_any_loop(config: dict[str, Any]) -> None:
    gate = make_gate(**config)
    cookie = jwt_cookie()
    session = finishes_without_a_loop(gate.get_session(request_for("/api/auth/session", cookie)))
    assert session is not None
    assert session["user"]["email"] == "ada@example.com"
    for path in ("/api/auth/session", "/api/auth/csrf", "/api/auth/providers"):
        response = finishes_without_a_loop(gate.handle(request_for(path, cookie)))
        assert response.status == 200, path
    again = run_engine(gate.get_session(request_for("/", cookie)))
    assert again is not None
    assert again["user"] == session["user"]


def test_an_async_callback_asks_for_the_loop_and_runs_on_it() -> None:
    gate = make_gate(callbacks=Callbacks(jwt=async_jwt, session=sync_session))
    request = request_for("/api/auth/session", jwt_cookie())
    asks_for_the_loop(gate.get_session(request))
    session = run_engine(gate.get_session(request))
    assert session is not None
    assert dict(session)["role"] == "async"


def test_other_routes_ask_for_the_loop_before_they_start() -> None:
    gate = make_gate()
    asks_for_the_loop(gate.handle(request_for("/api/auth/signin", "")))
    assert run_engine(gate.handle(request_for("/api/auth/signin", ""))).status == 200


@pytest.fixture(scope="module")
def started() -> Iterator[Callable[[str], Any]]:
    """A real Redis or PostgreSQL server, started on first use, stopped with the module."""
    from _support.postgres_server import running_postgres
    from _support.redis_server import running_redis

    servers: dict[str, Any] = {}
    with contextlib.ExitStack() as stack:

        def start(kind: str) -> Any:
            if kind not in servers:
                running = running_redis() if kind == "redis" else running_postgres()
                servers[kind] = stack.enter_context(running)
            return servers[kind]

        yield start


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_an_ended_session_is_refused_by_the_next_read_on_every_thread(
    kind: str, started: Callable[[str], Any]
) -> None:
    """Memory: read on the callers' threads; Redis: on the bridge loop, its listener running."""
    if kind == "memory":
        store: RevocationStore = MemoryRevocationStore()
    else:
        server: RedisServer = started("redis")
        store = RedisRevocationStore(url=server.url, prefix=f"bridge:{uuid.uuid4().hex}:")
    gate = make_gate(revocation=store)
    cookie = jwt_cookie(sid=new_session_id(time.time() - 60))
    read = request_for("/", cookie)
    with ThreadPoolExecutor(4) as pool:
        assert all(pool.map(lambda _: run_engine(gate.get_session(read)), range(8)))
        run_sync(gate.end_sessions("u1"))
        assert not any(pool.map(lambda _: run_engine(gate.get_session(read)), range(8)))
        ended = run_engine(gate.handle(request_for("/api/auth/session", cookie)))
    assert ended.body == b"{}"
    run_sync(store.aclose())


# -- the bridge itself ------------------------------------------------------------------------


async def steps() -> tuple[str, str, bool]:
    """The thread before and after needs_loop(), and whether a loop ran before it."""
    try:
        asyncio.get_running_loop()
        looped = True
    except RuntimeError:
        looped = False
    before = threading.current_thread().name
    await needs_loop()
    assert asyncio.get_running_loop() is bridge.loop
    return before, threading.current_thread().name, looped


def test_the_first_step_runs_on_the_caller_the_rest_on_the_loop() -> None:
    before, after, looped = run_engine(steps())
    assert (before, after, looped) == (
        threading.current_thread().name,
        "authgate-sync-bridge",
        False,
    )


@pytest.mark.parametrize("hop", [False, True])
def test_exceptions_before_and_after_the_hand_over_reach_the_caller(hop: bool) -> None:
    async def fail() -> None:
        if hop:
            await needs_loop()
        raise LookupError("nope")

    with pytest.raises(LookupError, match="nope"):
        run_engine(fail())


def test_suspending_without_the_marker_is_a_loud_error_and_the_coroutine_is_closed() -> None:
    closed = threading.Event()

    async def forgot_the_marker() -> None:
        try:
            await asyncio.sleep(0)  # a bare yield: something loop-bound would come next
        finally:
            closed.set()

    with pytest.raises(RuntimeError, match="must await needs_loop"):
        run_engine(forgot_the_marker())
    assert closed.is_set()


def test_called_inside_a_running_loop_it_runs_wholly_on_the_bridge_loop() -> None:
    async def inside() -> tuple[str, str, bool]:
        return run_engine(steps())

    before, after, looped = asyncio.run(inside())
    assert (before, after, looped) == ("authgate-sync-bridge", "authgate-sync-bridge", True)


def test_called_from_the_bridge_thread_is_refused() -> None:
    own = SyncBridge()

    async def nested() -> str:
        await needs_loop()
        try:
            own.drive(steps())
        except RuntimeError as error:
            return str(error)
        return "no error"

    assert own.drive(nested()) == "the sync bridge cannot be called from its own event loop"


# -- real adapters through the bridge, many threads at once ----------------------------------


def stored_session(adapter: SQLAlchemyAdapter) -> None:
    async def store() -> None:
        user = await adapter.create_user({"email": "db@example.com", "emailVerified": None})
        expires = datetime.now(UTC) + timedelta(days=1)
        await adapter.create_session(
            {"sessionToken": DB_TOKEN, "userId": user["id"], "expires": expires}
        )

    run_sync(store())


def mixed_threads(db_gate: AuthGate, jwt_gate: AuthGate) -> None:
    """400 reads from 8 threads: JWT reads stay on their threads, database reads hop."""
    db_request = request_for("/", f"next-auth.session-token={DB_TOKEN}")
    jwt_request = request_for("/", jwt_cookie())
    anonymous = request_for("/", "")

    def read(n: int) -> str | None:
        gate, request = [(db_gate, db_request), (jwt_gate, jwt_request), (db_gate, anonymous)][
            n % 3
        ]
        if n % 6 == 5:
            response = run_engine(gate.handle(request_for("/api/auth/session", jwt_cookie())))
            return "ok" if response.status == 200 else None
        session = run_engine(gate.get_session(request))
        return None if session is None else str(session["user"]["email"])

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(read, range(400)))
    expected = ["db@example.com", "ada@example.com", None, "db@example.com", "ada@example.com"]
    assert answers == ["ok" if n % 6 == 5 else expected[n % 3] for n in range(400)], (
        "a wrong answer from a thread"
    )


def db_gate_for(adapter: SQLAlchemyAdapter) -> AuthGate:
    provider = Credentials(authorize=authorize, database_session=True)
    return make_gate(
        adapter=adapter, providers=[provider], session=SessionConfig(strategy="database")
    )


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_many_threads_mix_jwt_reads_and_database_reads(
    database: str, tmp_path: Path, started: Callable[[str], Any]
) -> None:
    if database == "sqlite":
        adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    else:  # one PostgreSQL database for the module: tables of our own
        server: PostgresServer = started("postgresql")
        adapter = SQLAlchemyAdapter(server.url, table_prefix=f"b{uuid.uuid4().hex[:8]}_")
    run_sync(adapter.create_tables())
    try:
        stored_session(adapter)
        mixed_threads(db_gate_for(adapter), make_gate())
    finally:
        run_sync(adapter.close())
