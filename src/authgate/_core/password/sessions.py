"""Ending a user's other sessions after a password reset or change.

Database sessions: the rows are deleted (the adapter's ``UserSessions`` capability) in the
transaction that writes the new password: both happen, or neither.

JWT sessions live in cookies the server does not hold, so they end through the revocation
store (``AuthConfig(revocation=...)``, SECURITY.md decision 16): the user's "not before" moves
to the millisecond of the request, which ends every session started earlier, this request's
too. A change then re-issues this request's token as a new session (a new ``sid``) that starts
at exactly that millisecond: the person changing the password stays signed in, every copy of
the old cookie (another browser, a thief) is refused from the next read on. Without a store a
JWT session cannot be ended early: the other devices stay signed in until their tokens expire
(``authgate doctor`` warns about it).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import jwt_session
from authgate.adapters import UserSessions
from authgate.revocation import SESSION_ID_CLAIM, new_session_id, started_at

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.adapters import Adapter
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

__all__ = ["end_jwt_sessions", "end_other_sessions", "keep_current"]


async def end_other_sessions(tx: Adapter, user_id: str, *, keep: str | None) -> None:
    """End the user's other database sessions through ``tx``, the password write's transaction.

    Raises when storage fails: the caller's transaction then rolls the new password back too,
    so a new password never stands beside old sessions that stayed valid (SECURITY.md,
    decision 22).
    """
    if not isinstance(tx, UserSessions):
        return
    ended = await tx.delete_user_sessions(user_id, keep=keep)
    logger.info("PASSWORD_SESSIONS_ENDED: %d other session(s) ended", ended)


async def end_jwt_sessions(options: InternalOptions, user_id: str, now: float) -> str | None:
    """End every JWT session of ``user_id`` started before ``now``'s millisecond.

    Returns the id of a session that starts at that millisecond (and so is not ended), for
    :func:`keep_current`; ``None`` when JWT sessions cannot be ended (database sessions, or no
    revocation store). Raises :class:`~authgate.revocation.RevocationUnavailableError` when
    the store cannot be reached: callers write nothing then.
    """
    store = options.revocation
    if options.session_strategy != "jwt" or store is None:
        return None
    session_id = new_session_id(now)
    # "Not before" is the new id's own start, computed the same way the store reads it back.
    moment = started_at(session_id)
    assert moment is not None  # noqa: S101 - new_session_id makes ids started_at reads
    await store.end_user(user_id, at=moment, ttl=jwt_session.revocation_ttl(options))
    logger.info("PASSWORD_SESSIONS_ENDED: every JWT session of the user was ended")
    return session_id


def keep_current(ctx: RequestContext, session_id: str) -> list[Cookie]:
    """This request's session again, as the session ``session_id`` (re-encoded, same claims)."""
    _, claims = jwt_session.read(ctx)
    assert claims is not None  # noqa: S101 - the caller read this session a moment ago
    renewed = {**claims, SESSION_ID_CLAIM: session_id}
    return jwt_session.issue(ctx, renewed, max_age=ctx.options.jwt_max_age)
