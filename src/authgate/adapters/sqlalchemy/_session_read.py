"""The session read, the adapter's hottest query: compiled once, run on the driver itself.

``/api/auth/session`` and every session dependency read one row: a session joined with its
user. Through SQLAlchemy Core each read pays for statement execution and result processing
(several times the driver's own cost); here the statement is compiled once for the engine's
dialect and run on a driver connection (asyncpg: the read's own connections,
:mod:`authgate.adapters.sqlalchemy._read_pool`, or one of SQLAlchemy's pool; pysqlite for the
inline SQLite read), with the same SQL and the same result processing (the columns' own types:
aware UTC datetimes). A failure of that path is never an answer: the caller reads again
through SQLAlchemy, whose errors are the adapter's errors (parameters hidden).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Text, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.util import greenlet_spawn

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from sqlalchemy.engine import Dialect, Engine
    from sqlalchemy.ext.asyncio import AsyncEngine
    from sqlalchemy.sql import Select

    from authgate.adapters.sqlalchemy.schema import AuthTables

__all__ = ["FAILED", "PrecompiledRead", "session_statement", "sessions_statement"]

FAILED = object()  # the driver path did not answer: read through SQLAlchemy instead


def _sessions_with_users(schema: AuthTables) -> Select[Any]:
    users, sessions = schema.users, schema.sessions
    return select(
        users, sessions.c.sessionToken, sessions.c.userId, sessions.c.expires
    ).select_from(sessions.join(users, users.c.id == sessions.c.userId))


def session_statement(schema: AuthTables) -> Select[Any]:
    """A session and its user in one SELECT, by ``:token``."""
    token = schema.sessions.c.sessionToken
    return _sessions_with_users(schema).where(token == bindparam("token")).limit(1)


def sessions_statement(schema: AuthTables) -> Select[Any]:
    """Sessions and their users in one SELECT, by ``:tokens`` (a list; PostgreSQL only).

    The tokens are bound as ``TEXT[]`` (compared as the column's text, whatever its length).
    """
    token = schema.sessions.c.sessionToken
    tokens = bindparam("tokens", type_=ARRAY(Text))
    return _sessions_with_users(schema).where(token == any_(tokens))


class PrecompiledRead:
    """``statement`` compiled for ``dialect``: its SQL, positional arguments and row decoding.

    ``param`` names the statement's one variable parameter (the others keep their values).
    """

    __slots__ = ("_args", "_names", "_processors", "_slot", "sql")

    def __init__(self, statement: Select[Any], dialect: Dialect, param: str = "token") -> None:
        compiled = statement.compile(dialect=dialect)
        order = list(compiled.positiontup or ())
        defaults = compiled.construct_params({param: None})
        self.sql = str(compiled)
        self._args = [defaults[name] for name in order]
        self._slot = order.index(param)
        columns = list(statement.selected_columns)
        self._names = [str(column.key) for column in columns]
        self._processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]

    def args(self, value: Any) -> list[Any]:
        """The positional arguments with ``value`` for the variable parameter."""
        args = self._args.copy()
        args[self._slot] = value
        return args

    def decode(self, values: Any) -> Mapping[str, Any]:
        """A driver row (a tuple or an asyncpg record) as SQLAlchemy would return it."""
        return {
            name: value if process is None else process(value)
            for name, process, value in zip(self._names, self._processors, values, strict=True)
        }

    def run_sync(self, engine: Engine, token: str) -> Mapping[str, Any] | None:
        """The row of ``token`` on a blocking DB-API connection of ``engine``'s pool.

        Raises the driver's error (the caller decides what a busy database means).
        """
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self.sql, self.args(token))
                row = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            connection.close()
        return None if row is None else self.decode(row)

    async def run_asyncpg(self, engine: AsyncEngine, token: str) -> Mapping[str, Any] | object:
        """The row of ``token`` (or ``None``) with asyncpg's ``fetchrow``, or :data:`FAILED`.

        On any driver error the connection is dropped (it may be dead: a restarted server),
        not answered from.
        """
        connection = await engine.raw_connection()
        driver: Any = connection.driver_connection
        try:
            row = await driver.fetchrow(self.sql, *self.args(token))
        except Exception:  # noqa: BLE001 - any failure: SQLAlchemy reads again and reports it
            await greenlet_spawn(connection.invalidate)
            return FAILED
        except BaseException:  # cancelled mid-query: the connection's state is unknown
            await greenlet_spawn(connection.invalidate)
            raise
        await greenlet_spawn(connection.close)
        return None if row is None else self.decode(row.values())
