"""Connection checks for a server database's pool: every checkout but the session read's.

SQLAlchemy's ``pool_pre_ping`` tests each connection when it is handed out (on asyncpg:
``BEGIN``, an empty query, ``ROLLBACK``: three round trips) so that a restarted database is no
error. The session read is one read-only ``SELECT`` that is safe to run again: it skips the
test, and when its connection turns out dead (the error invalidates the whole pool) it runs
once more on a new one (:func:`read_twice`). Every other checkout is tested as before, so the
first write after a restart works too.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, InvalidatePoolError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterator

    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["ping_on_checkout", "read_twice", "untested"]

T = TypeVar("T")

_UNTESTED = ContextVar("authgate_untested_checkout", default=False)


def ping_on_checkout(engine: AsyncEngine) -> None:
    """Test each connection handed out by ``engine``'s pool unless :func:`read_twice` asks.

    What ``pool_pre_ping`` does (a dead connection invalidates the pool and is replaced), as a
    ``checkout`` listener that can skip the test. Engine built with ``pool_pre_ping=False``.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _ping(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if _UNTESTED.get():
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise InvalidatePoolError("the pooled connection is dead") from exc
            raise


@contextmanager
def untested() -> Iterator[None]:
    """Connections checked out in this block are not tested first (the caller reads again)."""
    token = _UNTESTED.set(True)
    try:
        yield
    finally:
        _UNTESTED.reset(token)


async def read_twice(read: Callable[[], Awaitable[T]]) -> T:
    """``read()`` on an untested connection; once more on a tested one if that one was dead."""
    try:
        with untested():
            return await read()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return await read()
