"""asyncpg connections of the adapter's own, for the session read only (PostgreSQL).

The session read is one ``SELECT`` (:mod:`authgate.adapters.sqlalchemy._session_read`). On a
connection of SQLAlchemy's pool, checking it out and giving it back are two greenlet hops
through the pool's machinery: about as much work as the query itself. This pool keeps a few
plain asyncpg connections instead (a list of idle ones and a semaphore; no reset query on
return, since the read changes no session state) and hands them only to that read.

Rules (bench/README.md section 3e, tests/adapters/test_read_pool.py):

- Made lazily by the first read in a running event loop and bound to it and to the process:
  a read on another loop, or in a forked child, is not served here (the caller reads through
  SQLAlchemy instead), and a forked child never touches the parent's sockets.
- A failure is never an answer: any error of a connection drops it and every idle one (a
  restarted server killed them all) and the caller reads again through SQLAlchemy, whose
  errors are the adapter's errors (parameters hidden). Nothing here logs or raises a driver
  error, so no token reaches a log. A failed connect waits :data:`RETRY_AFTER` before the next.
- A read cancelled mid-query closes its connection (its protocol state is unknown).
- At most ``size`` connections; a read finding them all busy waits for one (at most the
  engine pool's timeout, then the SQLAlchemy read).
- Reads that find every connection busy are answered together: they join one pending batch
  (at most :data:`MAX_BATCH` tokens), and the next free connection reads the whole batch in
  one ``SELECT ... WHERE "sessionToken" = ANY($1)``. Under load that is one round trip for
  many reads instead of one each; with a free connection a read goes alone, with no delay.
  The batch is its own task: a cancelled read leaves it, the others are still answered. A
  failure of the batch is :data:`FAILED` for every read in it (each reads through SQLAlchemy).
- :meth:`ReadPool.close` closes every connection; a read still running closes its own when
  it ends.
"""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

from authgate.adapters.sqlalchemy._session_read import FAILED

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy.ext.asyncio import AsyncEngine

    from authgate.adapters.sqlalchemy._session_read import PrecompiledRead

__all__ = [
    "MAX_BATCH",
    "READ_CONNECTIONS",
    "RETRY_AFTER",
    "ReadPool",
    "ReadPools",
    "connect_params",
    "reproducible",
]

READ_CONNECTIONS = 5
"""The session read's own connections per process unless ``SQLAlchemyAdapter`` is told."""

RETRY_AFTER = 1.0  # seconds without new connections after one failed to open

MAX_BATCH = 64
"""Tokens per batched read at most (a fuller batch starts another)."""

_BATCH_TOKEN_CHARS = 1024  # longer tokens read alone

# engine_options that make connections we could not make the same way: keep SQLAlchemy's pool
# (a NullPool or any pool chosen on purpose, a creator, another DB-API module, plugins).
_FOREIGN_OPTIONS = frozenset(
    {"creator", "async_creator", "pool", "poolclass", "module", "plugins", "dialect_cls"}
)
# Connect arguments of SQLAlchemy's asyncpg dialect, not asyncpg's.
_DIALECT_ONLY = frozenset({"prepared_statement_cache_size"})
_NOT_REPRODUCIBLE = frozenset({"async_creator_fn", "prepared_statement_name_func"})

_Answer = asyncio.Future["Mapping[str, Any] | object | None"]
_Pending = dict[str, list[_Answer]]  # a batch: token -> the futures of its reads

_forks = [0]  # bumped in every forked child: a pool of the parent is never used there


def _forked() -> None:
    _forks[0] += 1


os.register_at_fork(after_in_child=_forked)


def reproducible(url: str, options: Mapping[str, Any] | None) -> bool:
    """Whether connections like those of the engine ``url`` and ``options`` make can be made here.

    asyncpg, and nothing in ``options`` that replaces how SQLAlchemy connects or pools.
    """
    options = options or {}
    parsed = make_url(url)
    names = options.get("connect_args", {}).keys() | parsed.query.keys()
    return (
        parsed.get_backend_name() == "postgresql"
        and parsed.get_driver_name() == "asyncpg"
        and not _FOREIGN_OPTIONS & options.keys()
        and "plugin" not in parsed.query
        and not _NOT_REPRODUCIBLE & names
    )


def connect_params(engine: AsyncEngine, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``asyncpg.connect`` arguments ``engine``'s pool connects with.

    The URL's (host, port, user, password, database, query options such as ``ssl``) and
    ``options["connect_args"]`` (``server_settings``, an ``ssl`` context, timeouts), as
    SQLAlchemy's asyncpg dialect passes them; for an engine :func:`reproducible` accepted.
    """
    _, cparams = engine.dialect.create_connect_args(engine.url)
    params = {**cparams, **(options or {}).get("connect_args", {})}
    for name in _DIALECT_ONLY:
        params.pop(name, None)
    return params


def _connection_setup(engine: AsyncEngine) -> tuple[Any, ...]:
    """What runs when SQLAlchemy's pool makes or hands out a connection, and do_connect hooks."""
    pool = engine.sync_engine.pool
    return (
        *pool.dispatch.connect,
        *pool.dispatch.first_connect,
        *pool.dispatch.checkout,
        *engine.dialect.dispatch.do_connect,
    )


def _batchable(token: str) -> bool:
    # Of a sane length; text PostgreSQL cannot hold never gets here (the adapter answers it
    # without a query, _core.plain_text), so one odd token cannot fail the reads batched with it.
    return len(token) <= _BATCH_TOKEN_CHARS


def _ours(listener: Any) -> bool:
    return str(getattr(listener, "__module__", "")).startswith(("sqlalchemy.", "authgate."))


class ReadPools:
    """The session read's pool of the running loop, made on first use.

    One pool, bound to the loop (and process) that made it: a read on any other loop gets
    ``None`` (the caller uses SQLAlchemy's pool), as does every read once a listener that sets
    up connections (``connect``, ``checkout``, ``do_connect``: a ``SET``, a fresh password)
    was added to the engine: such setup would not run on these connections.
    """

    __slots__ = ("_engine", "_forked", "_made", "_params", "_setup", "_size")

    def __init__(self, engine: AsyncEngine, params: Mapping[str, Any], size: int) -> None:
        self._engine = engine
        self._params = dict(params)
        self._size = size
        setup = _connection_setup(engine)
        self._setup: tuple[Any, ...] | None = setup if all(map(_ours, setup)) else None
        # {"pool": ReadPool}: set with dict.setdefault, atomic under the GIL, so of two loops'
        # first reads at once in two threads one pool wins (the other, still empty, is dropped).
        self._made: dict[str, ReadPool] = {}
        self._forked: list[ReadPool] = []  # a parent's pools: kept, never touched, never freed

    def pool(self) -> ReadPool | None:
        """The pool of the running loop, or ``None``: read through SQLAlchemy."""
        loop = asyncio.get_running_loop()
        pool = self._made.get("pool")
        if pool is not None:
            if pool.fork == _forks[0]:
                return pool if pool.loop is loop else None  # else another loop's
            if self._made.pop("pool", None) is pool:
                self._forked.append(pool)  # the parent's sockets: no finaliser may run here
        if self._setup is None or _connection_setup(self._engine) != self._setup:
            return None
        wait = getattr(self._engine.sync_engine.pool, "timeout", lambda: 30.0)()
        pool = self._made.setdefault("pool", ReadPool(self._params, self._size, float(wait)))
        return pool if pool.loop is loop else None

    @property
    def current(self) -> ReadPool | None:
        """The pool made last (tests, diagnostics)."""
        return self._made.get("pool")

    async def close(self) -> None:
        """Close the pool's connections; the next read makes a new pool."""
        pool = self._made.pop("pool", None)
        if pool is not None:
            await pool.close()


class ReadPool:
    """At most ``size`` asyncpg connections made with ``params``, on the running loop."""

    __slots__ = (
        "_batches",
        "_closed",
        "_connections",
        "_idle",
        "_params",
        "_pending",
        "_retry_at",
        "_slots",
        "_wait",
        "batched_queries",
        "fork",
        "loop",
    )

    def __init__(self, params: Mapping[str, Any], size: int, wait: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.fork = _forks[0]
        self._params = dict(params)
        self._slots = asyncio.Semaphore(size)
        self._wait = wait
        self._idle: list[Any] = []
        self._connections: set[Any] = set()  # every open one, idle or busy
        self._retry_at = 0.0
        self._closed = False
        # The batch the next free connection reads: token -> the futures of its reads.
        self._pending: _Pending | None = None
        self._batches: set[asyncio.Task[None]] = set()  # the loop keeps only weak references
        self.batched_queries = 0  # batches read (diagnostics, tests)

    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def size(self) -> int:
        """Connections open now (idle or in use)."""
        return len(self._connections)

    async def run(
        self, read: PrecompiledRead, batch: PrecompiledRead | None, token: str
    ) -> Mapping[str, Any] | object | None:
        """The row of ``token`` (or ``None``), or :data:`FAILED`: read through SQLAlchemy.

        ``batch`` reads a list of tokens (:func:`sessions_statement`); ``None``: never batch.
        """
        if self._closed or (self._retry_at and self.loop.time() < self._retry_at):
            return FAILED
        slots = self._slots
        if slots.locked():
            if batch is not None and _batchable(token):
                return await self._join_batch(batch, token)
            try:
                async with asyncio.timeout(self._wait):
                    await slots.acquire()
            except TimeoutError:
                return FAILED
        else:
            await slots.acquire()  # free: returns at once
        try:
            row = await self._query(read.sql, read.args(token), many=False)
        finally:
            slots.release()
        if row is FAILED or row is None:
            return row
        return read.decode(row.values())

    async def _join_batch(
        self, batch: PrecompiledRead, token: str
    ) -> Mapping[str, Any] | object | None:
        pending = self._pending
        if pending is None or (token not in pending and len(pending) >= MAX_BATCH):
            pending = self._pending = {}
            task = self.loop.create_task(self._read_batch(batch, pending))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)
        future: _Answer = self.loop.create_future()
        pending.setdefault(token, []).append(future)
        # The batch answers every future (FAILED at worst); a cancelled read cancels only its own.
        return await future

    async def _read_batch(self, batch: PrecompiledRead, pending: _Pending) -> None:
        found: dict[str, Mapping[str, Any]] | None = None  # None: FAILED for every read
        try:
            try:
                async with asyncio.timeout(self._wait):
                    await self._slots.acquire()
            except TimeoutError:
                return
            try:
                if self._pending is pending:
                    self._pending = None  # later reads start the next batch
                if not self._closed:
                    found = await self._fetch(batch, list(pending))
            finally:
                self._slots.release()
        finally:
            if self._pending is pending:
                self._pending = None
            for token, futures in pending.items():
                answer = FAILED if found is None else found.get(token)
                for future in futures:
                    if not future.done():
                        future.set_result(answer)

    async def _fetch(
        self, batch: PrecompiledRead, tokens: list[str]
    ) -> dict[str, Mapping[str, Any]] | None:
        """Each found token's row (the caller holds a slot); ``None``: the read failed."""
        rows = await self._query(batch.sql, batch.args(tokens), many=True)
        if rows is FAILED:
            return None
        self.batched_queries += 1
        found: dict[str, Mapping[str, Any]] = {}
        for row in rows:
            data = batch.decode(row.values())
            found[data["sessionToken"]] = data
        return found

    async def _query(self, sql: str, args: list[Any], *, many: bool) -> Any:
        """``fetch`` (``many``) or ``fetchrow`` on an idle or new connection, or FAILED.

        The caller holds a slot. A connection that fails is dropped with every idle one.
        """
        connection = self._idle_one()
        if connection is None:
            connection = await self._connect()
            if connection is None:
                return FAILED
        try:
            if many:
                result = await connection.fetch(sql, *args)
            else:
                result = await connection.fetchrow(sql, *args)
        except Exception:  # noqa: BLE001 - never an answer: SQLAlchemy reads again
            self._drop(connection)
            self._drop_idle()  # a restarted server: the idle ones are dead too
            return FAILED
        except BaseException:  # cancelled mid-query: the protocol state is unknown
            self._drop(connection)
            raise
        if self.closed():  # by close() while it ran
            self._drop(connection)
        else:
            self._idle.append(connection)
        return result

    def _idle_one(self) -> Any | None:
        idle = self._idle
        while idle:
            connection = idle.pop()
            if not connection.is_closed():
                return connection
            self._drop(connection)  # the server closed it while it was idle
        return None

    async def _connect(self) -> Any | None:
        import asyncpg  # type: ignore[import-untyped]  # the postgres extra: only here

        try:
            connection = await asyncpg.connect(**self._params)
        except Exception:  # noqa: BLE001 - the server is away: SQLAlchemy's read reports it
            self._retry_at = self.loop.time() + RETRY_AFTER
            return None
        if self.closed():  # by close() while it connected
            connection.terminate()
            return None
        self._retry_at = 0.0
        self._connections.add(connection)
        return connection

    def _drop(self, connection: Any) -> None:
        self._connections.discard(connection)
        connection.terminate()

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._drop(connection)

    async def close(self) -> None:
        """Close every connection (on this pool's loop, from any thread or loop)."""
        self._closed = True
        if self.fork != _forks[0]:
            return  # a forked child: the sockets are the parent's
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            await self._close_idle()
        elif self.loop.is_running():  # the sync bridge's loop thread, say
            done = asyncio.run_coroutine_threadsafe(self._close_idle(), self.loop)
            await asyncio.wrap_future(done)
        elif not self.loop.is_closed():
            self._drop_idle()
        # On a closed loop nothing can be closed any more: the process ends them.

    async def _close_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._connections.discard(connection)
            try:
                await connection.close(timeout=2)  # a Terminate message: no log line on the server
            except Exception:  # noqa: BLE001 - it is gone either way
                connection.terminate()
