"""The second factor passed: issue the session the first factor would have, with both methods.

:func:`prepare` runs in the transaction that used the answer and the pending sign-in up: it
reads the stored user again and, for database sessions, stores the session row, so the three
commit together (a failing write leaves the code, the recovery code or the pending sign-in
usable). :func:`issue_prepared` then finishes the sign-in once that transaction committed
(the JWT cookie, the methods, ``events.sign_in``, the redirect).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authgate._core import db_session
from authgate._core.redirects import to_error
from authgate._core.sign_in_flow import FirstFactor, Verified, issue
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.two_factor.pending import Pending
    from authgate.adapters import Adapter
    from authgate.http import AuthResponse, Cookie


@dataclass(slots=True)
class Prepared:
    """A pending sign-in whose second factor passed, and its stored session's cookies."""

    verified: Verified
    callback_url: str
    session_cookies: list[Cookie] | None


async def prepare(
    ctx: RequestContext, waiting: Pending, method: str, tx: Adapter
) -> Prepared | AuthResponse:
    """The sign-in to issue, its database session stored through ``tx``. Raises on storage.

    A stored user is read again (the cookie carried a copy for the ``jwt`` callback's sake
    only); one deleted in the meantime cannot sign in.
    """
    carried: dict[str, Any] = waiting.sign_in
    user: dict[str, Any] = dict(carried["verified_user"])
    stored = bool(carried["stored"])
    cookies = None
    if stored:
        found = await tx.get_user(waiting.subject)
        if found is None:
            return to_error(ctx.url, ErrorCode.Verification)
        user = dict(found)
        if ctx.options.session_strategy == "database":
            _, cookies = await db_session.create(ctx, tx, user["id"])
    first = FirstFactor(
        user=dict(carried["user"]),
        account=dict(carried["account"]),
        profile=carried["profile"],
        event_profile=carried["event_profile"],
        denied_status=int(carried["denied_status"]),
    )
    verified = Verified(
        first=first,
        user=user,
        stored=stored,
        is_new_user=carried["is_new_user"],
        methods=[waiting.method, method],
    )
    return Prepared(verified, waiting.callback_url, cookies)


async def issue_prepared(ctx: RequestContext, prepared: Prepared) -> AuthResponse:
    """Issue the prepared sign-in; the callback URL is the one of the first factor."""
    ctx.callback_url = prepared.callback_url
    return await issue(ctx, prepared.verified, session_cookies=prepared.session_cookies)
