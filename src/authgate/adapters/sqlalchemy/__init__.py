"""SQLAlchemyAdapter: SQLAlchemy 2 async on SQLite (aiosqlite, the default) or PostgreSQL.

::

    from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

    adapter = SQLAlchemyAdapter("auth.db")  # a SQLite file, created with its tables on first use
    adapter = SQLAlchemyAdapter("postgresql+asyncpg://app@db/app")  # tables: `authgate db init`

Install with ``pip install 'authgate[sqlalchemy]'`` (SQLite) or ``'authgate[postgres]'``.
The tables are Auth.js's (:mod:`authgate.adapters.sqlalchemy.schema`).
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from authgate._core.plain_text import plain_text
from authgate.adapters.sqlalchemy._pool import ping_on_checkout, read_twice, untested
from authgate.adapters.sqlalchemy._read_pool import (
    READ_CONNECTIONS,
    ReadPools,
    connect_params,
    reproducible,
)
from authgate.adapters.sqlalchemy._session_read import (
    FAILED,
    PrecompiledRead,
    session_statement,
    sessions_statement,
)
from authgate.adapters.sqlalchemy.schema import AuthTables, build_tables, tables

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping, Sequence

    from sqlalchemy.engine import Row

    from authgate.adapters import (
        Adapter,
        AdapterAccount,
        AdapterAuthenticator,
        AdapterSession,
        AdapterUser,
        NewUser,
        SessionDevice,
        TwoFactorRecord,
        UserUpdate,
        VerificationToken,
    )

__all__ = [
    "READ_CONNECTIONS",
    "SERVER_POOL_SIZE",
    "Pruned",
    "SQLAlchemyAdapter",
    "create_tables",
    "database_url",
]

_USER_FIELDS = ("name", "email", "emailVerified", "image")
_ACCOUNT_FIELDS = (
    "type",
    "provider",
    "providerAccountId",
    "refresh_token",
    "access_token",
    "expires_at",
    "id_token",
    "scope",
    "session_state",
    "token_type",
)


SERVER_POOL_SIZE = 15
"""Connections each process keeps open to a server database unless ``engine_options`` say.

On PostgreSQL with asyncpg, :data:`READ_CONNECTIONS` of them are the session read's own
(``read_connections``) and SQLAlchemy's pool keeps the rest (10 by default).
"""


def database_url(target: str | Path) -> str:
    """A SQLAlchemy URL for ``target``: a URL as it is, anything else a SQLite file path.

    ``sqlite://`` / ``sqlite:///path`` get the ``aiosqlite`` driver, ``postgresql://`` gets
    ``asyncpg``; ``:memory:`` is an in-memory SQLite database.
    """
    text = str(target)
    if text == ":memory:":
        return "sqlite+aiosqlite://"
    if "://" not in text:
        return f"sqlite+aiosqlite:///{text}"
    url = make_url(text)
    if url.drivername == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    elif url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


def _inline_reader(url: str, echo: bool) -> Engine | None:
    """A blocking engine for the session read of a SQLite file, run on the event loop itself.

    The read is one indexed SELECT on a local file (tens of microseconds); through aiosqlite
    every step of it is a hop to the connection's thread and back, which costs far more. It
    never waits for a lock (``busy_timeout=0``): a busy database falls back to the async path,
    so the loop is never blocked by a writer. In-memory databases (one shared connection) and
    URLs with query options keep the async path.
    """
    parsed = make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or parsed.get_driver_name() != "aiosqlite"
        or parsed.database in (None, "", ":memory:")
        or parsed.query
    ):
        return None
    engine = create_engine(
        parsed.set(drivername="sqlite+pysqlite"),
        echo=echo,
        hide_parameters=True,
        pool_size=1,
        max_overflow=0,
        pool_timeout=0,
    )

    @event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=0")  # busy: the async path waits instead
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    return engine


def _engine(
    url: str, echo: bool, options: Mapping[str, Any] | None = None, read_connections: int = 0
) -> AsyncEngine:
    parsed = make_url(url)
    # Bound parameters are session tokens, token hashes and addresses: SQLAlchemy would render
    # them into its error messages (logged with exc_info) and echo logs (SECURITY.md, decision 14).
    kwargs: dict[str, Any] = {"echo": echo, **(options or {}), "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # One connection for everyone, or each would see its own empty database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")  # ON DELETE CASCADE
            cursor.execute("PRAGMA busy_timeout=5000")  # wait for a writer instead of failing
            cursor.close()

        return engine
    # A restarted database server is not an error per request: a pooled connection is tested
    # before it is handed out and replaced when it died, except for the session read, which
    # runs once more instead (authgate.adapters.sqlalchemy._pool).
    # SQLAlchemy's default pool (5 kept, 10 overflow) closes an overflow connection when it
    # comes back: more than 5 reads at once then opened a connection per request or so.
    # The same 15 at most, kept open; more requests at once wait for one (pool_timeout).
    # With the session read's own connections (_read_pool), SQLAlchemy keeps the rest of 15.
    if "poolclass" not in kwargs and "pool" not in kwargs:
        kwargs.setdefault("pool_size", max(SERVER_POOL_SIZE - read_connections, 5))
        kwargs.setdefault("max_overflow", 0)
    ping = kwargs.pop("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs, pool_pre_ping=False)
    if ping:
        ping_on_checkout(engine)
    return engine


async def create_tables(engine: AsyncEngine, schema: AuthTables = tables) -> None:
    """``CREATE TABLE IF NOT EXISTS`` for the tables (what ``authgate db init`` runs)."""
    async with engine.begin() as conn:
        await conn.run_sync(schema.metadata.create_all, checkfirst=True)


class Pruned(NamedTuple):
    """What :meth:`SQLAlchemyAdapter.delete_expired` removed."""

    sessions: int
    verification_tokens: int
    session_rows: int = 0  # device and sign-in-method rows whose session was already gone

    @property
    def total(self) -> int:
        return self.sessions + self.verification_tokens + self.session_rows


class SQLAlchemyAdapter:
    """An :class:`~authgate.adapters.Adapter` on SQLAlchemy 2's asyncio engine.

    Args:
        target: A SQLite file path (created on first use), ``":memory:"``, a database URL
            (``postgresql+asyncpg://...``, ``sqlite+aiosqlite:///...``) or an
            :class:`~sqlalchemy.ext.asyncio.AsyncEngine` you built (build it with
            ``hide_parameters=True``, or database errors log tokens and addresses).
        create: Create missing tables on first use. Default: on for SQLite, off elsewhere
            (run ``authgate db init`` or your migrations).
        table_prefix: Put the tables at ``{prefix}users`` etc. (when ``users`` is taken).
        schema: A database schema (PostgreSQL) for the tables.
        echo: Log every SQL statement (SQLAlchemy's ``echo``).
        engine_options: More ``create_async_engine`` arguments when ``target`` is not an
            engine, e.g. ``{"pool_size": 10, "max_overflow": 5, "pool_timeout": 5}`` (per
            process: size the pools so that workers * (pool_size + max_overflow +
            read_connections) stays under the server's ``max_connections``). On a server
            database the default is 15 connections per process (:data:`SERVER_POOL_SIZE`):
            ``pool_size=10, max_overflow=0`` when the session read has its own 5 (below; 15
            minus ``read_connections``, at least 5), ``pool_size=15`` when not; a pooled
            connection is tested before use (``pool_pre_ping``, unless set to ``False``)
            except by the session read, which reads once more on a tested connection when its
            own was dead.
        read_connections: PostgreSQL (asyncpg): connections of the adapter's own for the
            session read, opened on first use with the URL's and ``connect_args``' arguments
            (default :data:`READ_CONNECTIONS`, 5; ``0``: none). The read on them skips the
            two greenlet hops of SQLAlchemy's pool. They belong to the event loop and process
            that opened them (elsewhere the read uses SQLAlchemy's pool), are closed by
            :meth:`close`, and are not used for an engine passed in, a ``creator``, a
            ``poolclass`` or when a ``connect``/``checkout``/``do_connect`` listener was
            added to the engine (set-up these connections would not get).
    """

    def __init__(
        self,
        target: str | Path | AsyncEngine,
        *,
        create: bool | None = None,
        table_prefix: str = "",
        schema: str | None = None,
        echo: bool = False,
        engine_options: Mapping[str, Any] | None = None,
        read_connections: int = READ_CONNECTIONS,
    ) -> None:
        self._inline: Engine | None = None
        self._direct: ReadPools | None = None
        if isinstance(target, AsyncEngine):
            self.engine = target
        else:
            text = str(target)
            if "://" not in text and text != ":memory:":
                Path(text).parent.mkdir(parents=True, exist_ok=True)  # SQLite makes only the file
            url = database_url(target)
            direct = read_connections if reproducible(url, engine_options) else 0
            self.engine = _engine(url, echo, engine_options, max(direct, 0))
            self._inline = _inline_reader(url, echo)
            if direct > 0:
                params = connect_params(self.engine, engine_options)
                self._direct = ReadPools(self.engine, params, direct)
        self.tables = (
            tables
            if not table_prefix and schema is None
            else build_tables(prefix=table_prefix, schema=schema)
        )
        self._session_read = session_statement(self.tables)
        self._inline_read = (
            None
            if self._inline is None
            else PrecompiledRead(self._session_read, self._inline.dialect)
        )
        self._driver_read = (
            PrecompiledRead(self._session_read, self.engine.dialect)
            if self.engine.dialect.driver == "asyncpg"
            else None
        )
        self._driver_batch = (
            None
            if self._direct is None
            else PrecompiledRead(sessions_statement(self.tables), self.engine.dialect, "tokens")
        )
        backend = self.engine.url.get_backend_name()
        self._create = backend == "sqlite" if create is None else create
        self._ready = not self._create
        self._lock: asyncio.Lock | None = None
        self._conn: AsyncConnection | None = None
        # The session read is one SELECT: on a server database it needs no transaction, so it
        # runs without BEGIN/COMMIT (two round trips of three). SQLite's driver starts no
        # transaction for a SELECT anyway, and switching its isolation level costs more.
        self._reader = (
            None
            if backend == "sqlite"
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    # ---- plumbing ----------------------------------------------------------------------

    async def create_tables(self) -> None:
        """Create the tables that are missing (idempotent)."""
        await create_tables(self.engine, self.tables)
        self._ready = True

    async def close(self) -> None:
        """Close every pooled connection."""
        if self._direct is not None:
            await self._direct.close()
        await self.engine.dispose()
        if self._inline is not None:
            self._inline.dispose()

    async def _ensure_tables(self) -> None:
        if self._ready:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._ready:
                await self.create_tables()

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        if self._conn is not None:  # inside transaction(): the caller commits
            yield self._conn
            return
        await self._ensure_tables()
        async with self.engine.begin() as conn:
            yield conn

    async def _read_row(self, statement: Any, params: dict[str, Any]) -> Row[Any] | None:
        # A single SELECT: autocommit where that saves round trips (see __init__).
        await self._ensure_tables()
        async with (self._reader or self.engine).connect() as conn:
            return (await conn.execute(statement, params)).first()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        """Every write through the yielded adapter commits together, or none does."""
        if self._conn is not None:
            yield self
            return
        await self._ensure_tables()
        async with self.engine.begin() as conn:
            tx = type(self).__new__(type(self))
            tx.engine, tx.tables, tx._create, tx._ready = self.engine, self.tables, False, True
            tx._lock, tx._conn, tx._inline, tx._direct = None, conn, None, None
            tx._session_read = self._session_read
            tx._inline_read = tx._driver_read = None
            try:
                yield tx
            finally:
                tx._conn = None

    # ---- conversions -------------------------------------------------------------------

    @staticmethod
    def _id(value: str) -> int | None:
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    @staticmethod
    def _user(row: Row[Any] | Mapping[Any, Any]) -> AdapterUser:
        data = row._mapping if hasattr(row, "_mapping") else row
        return cast(
            "AdapterUser",
            {
                "id": str(data["id"]),
                "name": data["name"],
                "email": data["email"],
                "emailVerified": data["emailVerified"],
                "image": data["image"],
            },
        )

    @staticmethod
    def _session(data: Mapping[Any, Any]) -> AdapterSession:
        return {
            "sessionToken": data["sessionToken"],
            "userId": str(data["userId"]),
            "expires": data["expires"],
        }

    # ---- users -------------------------------------------------------------------------

    async def create_user(self, user: NewUser) -> AdapterUser:
        values = {k: user[k] for k in _USER_FIELDS if k in user}  # type: ignore[literal-required]
        users = self.tables.users
        async with self._begin() as conn:
            result = await conn.execute(insert(users).values(values))
            new_id = result.inserted_primary_key[0]  # type: ignore[index]
            row = (await conn.execute(select(users).where(users.c.id == new_id))).one()
        return self._user(row)

    async def get_user(self, user_id: str) -> AdapterUser | None:
        key = self._id(user_id)
        if key is None:
            return None
        users = self.tables.users
        async with self._begin() as conn:
            row = (await conn.execute(select(users).where(users.c.id == key))).first()
        return self._user(row) if row else None

    async def get_user_by_email(self, email: str) -> AdapterUser | None:
        if not plain_text(email):
            return None  # in no row (an OAuth profile's e-mail, say); PostgreSQL would fail
        users = self.tables.users
        async with self._begin() as conn:
            query = select(users).where(users.c.email == email).order_by(users.c.id).limit(1)
            row = (await conn.execute(query)).first()
        return self._user(row) if row else None

    async def get_user_by_account(
        self, provider: str, provider_account_id: str
    ) -> AdapterUser | None:
        if not (plain_text(provider) and plain_text(provider_account_id)):
            return None
        users, accounts = self.tables.users, self.tables.accounts
        query = (
            select(users)
            .join(accounts, accounts.c.userId == users.c.id)
            .where(
                accounts.c.provider == provider,
                accounts.c.providerAccountId == provider_account_id,
            )
            .limit(1)
        )
        async with self._begin() as conn:
            row = (await conn.execute(query)).first()
        return self._user(row) if row else None

    async def update_user(self, user: UserUpdate) -> AdapterUser:
        key = self._id(user["id"])
        values = {k: user[k] for k in _USER_FIELDS if k in user}  # type: ignore[literal-required]
        users = self.tables.users
        async with self._begin() as conn:
            if values:
                await conn.execute(update(users).where(users.c.id == key).values(values))
            row = (await conn.execute(select(users).where(users.c.id == key))).first()
        if row is None:
            raise LookupError("no such user")
        return self._user(row)

    async def delete_user(self, user_id: str) -> None:
        key = self._id(user_id)
        t = self.tables
        async with self._begin() as conn:
            # Explicit, for databases created without ON DELETE CASCADE.
            await conn.execute(delete(t.passwords).where(t.passwords.c.userId == key))
            for owned in (t.two_factor, t.recovery_codes):
                await conn.execute(delete(owned).where(owned.c.userId == str(user_id)))
            await self._drop_session_rows(conn, t.sessions.c.userId == key)
            await conn.execute(delete(t.sessions).where(t.sessions.c.userId == key))
            await conn.execute(delete(t.accounts).where(t.accounts.c.userId == key))
            await conn.execute(delete(t.users).where(t.users.c.id == key))

    # ---- accounts ----------------------------------------------------------------------

    async def link_account(self, account: AdapterAccount) -> None:
        values: dict[str, Any] = {k: account.get(k) for k in _ACCOUNT_FIELDS}
        values["userId"] = self._id(account["userId"])
        async with self._begin() as conn:
            await conn.execute(insert(self.tables.accounts).values(values))

    async def unlink_account(self, provider: str, provider_account_id: str) -> None:
        accounts = self.tables.accounts
        async with self._begin() as conn:
            await conn.execute(
                delete(accounts).where(
                    accounts.c.provider == provider,
                    accounts.c.providerAccountId == provider_account_id,
                )
            )

    # ---- sessions ----------------------------------------------------------------------

    async def create_session(self, session: AdapterSession) -> AdapterSession:
        values = {
            "sessionToken": session["sessionToken"],
            "userId": self._id(session["userId"]),
            "expires": session["expires"],
        }
        async with self._begin() as conn:
            await conn.execute(insert(self.tables.sessions).values(values))
        return dict(session)  # type: ignore[return-value]

    async def get_session_and_user(
        self, session_token: str
    ) -> tuple[AdapterSession, AdapterUser] | None:
        if not plain_text(session_token):
            return None  # in no row; PostgreSQL would answer an error
        found: Mapping[str, Any] | object | None
        if self._conn is not None:  # inside transaction(): sees its uncommitted writes
            row = (await self._conn.execute(self._session_read, {"token": session_token})).first()
            found = None if row is None else row._mapping
        else:
            found = self._read_inline(session_token)
            if found is FAILED:
                found = await self._read_server(session_token)
        if found is None:
            return None
        data = cast("Mapping[str, Any]", found)
        return self._session(data), self._user(data)

    def _read_inline(self, token: str) -> Mapping[str, Any] | object | None:
        # The row, None, or FAILED (locked, or the tables are not made yet: the async path).
        if not self._ready or self._inline is None or self._inline_read is None:
            return FAILED
        try:
            return self._inline_read.run_sync(self._inline, token)
        except (DBAPIError, PoolTimeoutError, sqlite3.Error):
            return FAILED

    async def _read_server(self, token: str) -> Mapping[str, Any] | None:
        params = {"token": token}
        if self._driver_read is not None:
            if not self._ready:
                await self._ensure_tables()
            pool = None if self._direct is None else self._direct.pool()
            if pool is not None:  # the read's own connections (_read_pool)
                found = await pool.run(self._driver_read, self._driver_batch, token)
            else:
                with untested():
                    found = await self._driver_read.run_asyncpg(self.engine, token)
            if found is not FAILED:
                return cast("Mapping[str, Any] | None", found)
            row = await self._read_row(self._session_read, params)  # a tested connection
        else:
            row = await read_twice(lambda: self._read_row(self._session_read, params))
        return None if row is None else cast("Mapping[str, Any]", row._mapping)

    async def update_session(
        self, session_token: str, *, expires: datetime
    ) -> AdapterSession | None:
        if not plain_text(session_token):
            return None
        sessions = self.tables.sessions
        async with self._begin() as conn:
            result = await conn.execute(
                update(sessions)
                .where(sessions.c.sessionToken == session_token)
                .values(expires=expires)
            )
            if result.rowcount == 0:
                return None
            row = (
                await conn.execute(select(sessions).where(sessions.c.sessionToken == session_token))
            ).first()
        return self._session(row._mapping) if row else None

    async def get_sessions_by_user(self, user_id: str) -> list[AdapterSession]:
        """Every stored session of ``user_id`` (:class:`~authgate.adapters.SessionListing`)."""
        key = self._id(user_id)
        sessions = self.tables.sessions
        query = select(sessions).where(sessions.c.userId == key).order_by(sessions.c.expires)
        async with self._begin() as conn:
            rows = (await conn.execute(query)).all()
        return [self._session(row._mapping) for row in rows]

    async def delete_session(self, session_token: str) -> AdapterSession | None:
        if not plain_text(session_token):
            return None
        sessions = self.tables.sessions
        where = sessions.c.sessionToken == session_token
        async with self._begin() as conn:
            row = (await conn.execute(select(sessions).where(where))).first()
            if row is None:
                return None
            await self._drop_session_rows(conn, where)
            deleted = (await conn.execute(delete(sessions).where(where))).rowcount
        return self._session(row._mapping) if deleted else None

    async def _drop_session_rows(self, conn: AsyncConnection, where: Any) -> None:
        """Delete authgate's rows about the sessions ``where`` selects (device, methods).

        Before the sessions themselves, in their transaction: the rows hold no foreign key
        (the Auth.js ``sessions`` table is the app's), so nothing else removes them.
        """
        tokens = select(self.tables.sessions.c.sessionToken).where(where)
        for table in (self.tables.session_devices, self.tables.session_methods):
            await conn.execute(delete(table).where(table.c.sessionToken.in_(tokens)))

    # ---- verification tokens -----------------------------------------------------------

    async def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        async with self._begin() as conn:
            await conn.execute(insert(self.tables.verification_token).values(dict(token)))
        return dict(token)  # type: ignore[return-value]

    async def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        if not (plain_text(identifier) and plain_text(token)):
            return None  # the e-mail link's ``email=`` can carry a %00
        table = self.tables.verification_token
        where = (table.c.identifier == identifier) & (table.c.token == token)
        async with self._begin() as conn:
            row = (await conn.execute(select(table).where(where))).first()
            if row is None:
                return None
            # Of two concurrent uses only the one whose DELETE removed the row wins.
            deleted = (await conn.execute(delete(table).where(where))).rowcount
        if deleted != 1:
            return None
        data = row._mapping
        return {
            "identifier": data["identifier"],
            "token": data["token"],
            "expires": data["expires"],
        }

    # ---- passwords (PasswordStore) ----------------------------------------------------

    async def get_password_hash(self, user_id: str) -> str | None:
        key = self._id(user_id)
        if key is None:
            return None
        table = self.tables.passwords
        async with self._begin() as conn:
            row = (await conn.execute(select(table.c.hash).where(table.c.userId == key))).first()
        return None if row is None else str(row[0])

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        key = self._id(user_id)
        table = self.tables.passwords
        values = {"hash": password_hash, "updatedAt": datetime.now(UTC)}
        async with self._begin() as conn:
            result = await conn.execute(update(table).where(table.c.userId == key).values(values))
            if result.rowcount == 0:
                await conn.execute(insert(table).values(userId=key, **values))

    # ---- all sessions of a user (UserSessions) ------------------------------------------

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        sessions = self.tables.sessions
        where = sessions.c.userId == self._id(user_id)
        if keep is not None:
            where = where & (sessions.c.sessionToken != keep)
        async with self._begin() as conn:
            await self._drop_session_rows(conn, where)
            result = await conn.execute(delete(sessions).where(where))
        return int(result.rowcount or 0)

    # ---- session devices (SessionDevices) -----------------------------------------------

    async def set_session_device(self, session_token: str, device: SessionDevice) -> None:
        table = self.tables.session_devices
        async with self._begin() as conn:
            await conn.execute(delete(table).where(table.c.sessionToken == session_token))
            await conn.execute(insert(table).values(sessionToken=session_token, **device))

    async def touch_session_device(self, session_token: str, last_seen: datetime) -> None:
        table = self.tables.session_devices
        where = table.c.sessionToken == session_token
        async with self._begin() as conn:
            await conn.execute(update(table).where(where).values(lastSeen=last_seen))

    async def get_session_devices(self, session_tokens: Sequence[str]) -> dict[str, SessionDevice]:
        table = self.tables.session_devices
        found: dict[str, SessionDevice] = {}
        tokens = list(session_tokens)
        async with self._begin() as conn:
            for start in range(0, len(tokens), 500):  # bound the IN list
                query = select(table).where(table.c.sessionToken.in_(tokens[start : start + 500]))
                for row in (await conn.execute(query)).all():
                    data = row._mapping
                    found[data["sessionToken"]] = {
                        "createdAt": data["createdAt"],
                        "lastSeen": data["lastSeen"],
                        "userAgent": data["userAgent"],
                        "ipPrefix": data["ipPrefix"],
                    }
        return found

    # ---- second factors (TwoFactorStore) ------------------------------------------------

    async def get_two_factor(self, user_id: str) -> TwoFactorRecord | None:
        key = str(user_id)
        table = self.tables.two_factor
        async with self._begin() as conn:
            row = (await conn.execute(select(table).where(table.c.userId == key))).first()
        if row is None:
            return None
        data = row._mapping
        return {
            "userId": str(data["userId"]),
            "secret": data["secret"],
            "lastStep": data["lastStep"],
            "createdAt": data["createdAt"],
        }

    async def enable_two_factor(self, record: TwoFactorRecord, recovery_codes: list[str]) -> None:
        key = str(record["userId"])
        t = self.tables
        async with self._begin() as conn:
            await conn.execute(delete(t.two_factor).where(t.two_factor.c.userId == key))
            await conn.execute(
                insert(t.two_factor).values(
                    userId=key,
                    secret=record["secret"],
                    lastStep=record["lastStep"],
                    createdAt=record["createdAt"],
                )
            )
            await self._write_codes(conn, key, recovery_codes)

    async def _write_codes(self, conn: AsyncConnection, key: str, codes: list[str]) -> None:
        table = self.tables.recovery_codes
        await conn.execute(delete(table).where(table.c.userId == key))
        if codes:
            await conn.execute(insert(table), [{"userId": key, "codeHash": c} for c in codes])

    async def disable_two_factor(self, user_id: str) -> None:
        key = str(user_id)
        t = self.tables
        async with self._begin() as conn:
            await conn.execute(delete(t.recovery_codes).where(t.recovery_codes.c.userId == key))
            await conn.execute(delete(t.two_factor).where(t.two_factor.c.userId == key))

    async def use_totp_step(self, user_id: str, step: int) -> bool:
        table = self.tables.two_factor
        # One conditional UPDATE: of two concurrent uses of a step only one matches the row.
        query = (
            update(table)
            .where(
                table.c.userId == str(user_id),
                (table.c.lastStep.is_(None)) | (table.c.lastStep < step),
            )
            .values(lastStep=step)
        )
        async with self._begin() as conn:
            result = await conn.execute(query)
        return result.rowcount == 1

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        table = self.tables.recovery_codes
        where = (table.c.userId == str(user_id)) & (table.c.codeHash == code_hash)
        async with self._begin() as conn:
            result = await conn.execute(delete(table).where(where))
        return result.rowcount == 1

    async def replace_recovery_codes(self, user_id: str, recovery_codes: list[str]) -> None:
        async with self._begin() as conn:
            await self._write_codes(conn, str(user_id), recovery_codes)

    async def count_recovery_codes(self, user_id: str) -> int:
        table = self.tables.recovery_codes
        query = select(func.count()).select_from(table).where(table.c.userId == str(user_id))
        async with self._begin() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def set_session_methods(self, session_token: str, methods: list[str]) -> None:
        table = self.tables.session_methods
        async with self._begin() as conn:
            await conn.execute(delete(table).where(table.c.sessionToken == session_token))
            await conn.execute(
                insert(table).values(sessionToken=session_token, methods=" ".join(methods))
            )

    async def get_session_methods(self, session_token: str) -> list[str] | None:
        table = self.tables.session_methods
        query = select(table.c.methods).where(table.c.sessionToken == session_token)
        async with self._begin() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else str(row[0]).split()

    # ---- authenticators (the Passkey capability) ---------------------------------------

    @staticmethod
    def _authenticator(data: Mapping[Any, Any]) -> AdapterAuthenticator:
        return {
            "credentialID": data["credentialID"],
            "userId": str(data["userId"]),
            "providerAccountId": data["providerAccountId"],
            "credentialPublicKey": data["credentialPublicKey"],
            "counter": int(data["counter"]),
            "credentialDeviceType": data["credentialDeviceType"],
            "credentialBackedUp": bool(data["credentialBackedUp"]),
            "transports": data["transports"],
            "name": data["name"],
        }

    async def create_authenticator(
        self, authenticator: AdapterAuthenticator
    ) -> AdapterAuthenticator:
        values: dict[str, Any] = {**authenticator, "userId": self._id(authenticator["userId"])}
        values.setdefault("name", None)
        async with self._begin() as conn:
            await conn.execute(insert(self.tables.authenticator).values(values))
        return self._authenticator({**values, "userId": authenticator["userId"]})

    async def get_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        table = self.tables.authenticator
        async with self._begin() as conn:
            query = select(table).where(table.c.credentialID == credential_id)
            row = (await conn.execute(query)).first()
        return self._authenticator(row._mapping) if row else None

    async def list_authenticators_by_user_id(self, user_id: str) -> list[AdapterAuthenticator]:
        key = self._id(user_id)
        if key is None:
            return []
        table = self.tables.authenticator
        # Insertion order: PostgreSQL's ctid / SQLite's rowid are not portable; the primary key
        # (userId, credentialID) is, and a user's list is short.
        query = select(table).where(table.c.userId == key).order_by(table.c.credentialID)
        async with self._begin() as conn:
            rows = (await conn.execute(query)).all()
        return [self._authenticator(r._mapping) for r in rows]

    async def _change(self, credential_id: str, **values: Any) -> AdapterAuthenticator | None:
        table = self.tables.authenticator
        where = table.c.credentialID == credential_id
        async with self._begin() as conn:
            result = await conn.execute(update(table).where(where).values(**values))
            if result.rowcount == 0:
                return None
            row = (await conn.execute(select(table).where(where))).first()
        return self._authenticator(row._mapping) if row else None

    async def update_authenticator_counter(
        self, credential_id: str, counter: int
    ) -> AdapterAuthenticator:
        changed = await self._change(credential_id, counter=counter)
        if changed is None:
            raise LookupError("no such authenticator")
        return changed

    async def rename_authenticator(
        self, credential_id: str, name: str | None
    ) -> AdapterAuthenticator | None:
        return await self._change(credential_id, name=name)

    async def delete_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        table = self.tables.authenticator
        where = table.c.credentialID == credential_id
        async with self._begin() as conn:
            row = (await conn.execute(select(table).where(where))).first()
            if row is None:
                return None
            deleted = (await conn.execute(delete(table).where(where))).rowcount
        return self._authenticator(row._mapping) if deleted else None

    # ---- housekeeping ------------------------------------------------------------------

    async def delete_expired(self, now: datetime | None = None) -> Pruned:
        """Delete the sessions and verification tokens expired at ``now`` (default: now).

        With them go the device and sign-in-method rows of those sessions, and any such row
        whose session is gone (``Pruned.session_rows``).

        authgate already deletes an expired session it is shown, and a used e-mail token; this
        removes the rows nobody comes back for (run it daily: ``authgate db prune``). One
        transaction; a row expiring exactly at ``now`` is expired, as ``/session`` treats it.
        """
        moment = datetime.now(UTC) if now is None else now
        if moment.tzinfo is None:
            raise ValueError("delete_expired needs a timezone-aware datetime")
        t = self.tables
        async with self._begin() as conn:
            await self._drop_session_rows(conn, t.sessions.c.expires <= moment)
            a = await conn.execute(delete(t.sessions).where(t.sessions.c.expires <= moment))
            b = await conn.execute(
                delete(t.verification_token).where(t.verification_token.c.expires <= moment)
            )
            # Rows left by sessions deleted some other way (by the app, or before authgate
            # deleted them with their session).
            live = select(t.sessions.c.sessionToken)
            orphans = 0
            for table in (t.session_devices, t.session_methods):
                gone = await conn.execute(delete(table).where(table.c.sessionToken.not_in(live)))
                orphans += int(gone.rowcount or 0)
        return Pruned(int(a.rowcount or 0), int(b.rowcount or 0), orphans)
