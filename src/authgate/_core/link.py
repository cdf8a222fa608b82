"""The explicit "link account" action (SECURITY.md, decision 9).

next-auth v4 links an OAuth account to whoever is signed in whenever an OAuth sign-in happens
in a browser with a session. authgate never does; a signed-in user links another account by
asking for it: ``POST /signin/:provider`` with ``csrfToken`` and ``link=true`` in the body
(next-auth's client: ``signIn("github", { link: "true" })``, which posts its options as the
form). Then:

1. ``POST /signin/:provider``: the CSRF token is checked as for any sign-in; the provider must
   be OAuth with at least one check, an adapter must be configured, and the request must carry
   a live session (else ``SessionRequired``). The session's user id goes into every check
   cookie of this flow (:func:`authgate._core.oauth.checks.create`), sealed with the secret.
2. ``/callback/:provider``: the intent is read back from those cookies only (never from the
   callback's query), so a flow the attacker started, or one without the intent, cannot link.
   The request's session must still be the same user's (else ``SessionRequired`` /
   ``OAuthAccountNotLinked``), then the account is linked to it: an account of another user is
   ``OAuthAccountNotLinked``, the user's own is a no-op. The session is kept (database) or
   re-issued with the ``jwt`` callback (JWT), as v4 does when it links.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core import db_session, session_reader
from authgate._core.outage import StorageUnavailable, storage_failed
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse

logger = logging.getLogger("authgate")

__all__ = ["current_user_id", "intent", "requested", "still_signed_in"]

_TRUE = frozenset({"true", "1"})


def requested(ctx: RequestContext) -> bool:
    """Whether the POST asks to link (``link=true`` in the body; the query is the provider's)."""
    value: Any = ctx.body.get("link")
    return value is True or (isinstance(value, str) and value.lower() in _TRUE)


async def current_user_id(ctx: RequestContext) -> str | None:
    """The stored user of the request's live session, or ``None`` (fails closed).

    Raises :class:`~authgate._core.outage.StorageUnavailable` when the database or the
    revocation store cannot tell: an outage is answered as one (``503``), not as "signed out".
    """
    options = ctx.options
    adapter = options.adapter
    if adapter is None:
        return None
    if options.session_strategy == "database":
        token = db_session.read_token(options, ctx.cookies.session_token.name, ctx.request.cookies)
        if token is None:
            return None
        try:
            found = await db_session.lookup(options, token, ctx.now)
        except db_session.DatabaseDownError as exc:
            raise StorageUnavailable from exc
        return None if found is None else str(found[1]["id"])
    # Admitted like every session read: a revoked JWT session is nobody (a password change
    # or reset ended it), so it cannot change the password again, link or add a passkey.
    session = await session_reader.read(
        options, ctx.request.cookies, ctx.cookies.session_token.name, ctx.now
    )
    if session.unavailable:
        raise StorageUnavailable
    claims = session.claims
    subject = None if claims is None else claims.get("sub")
    if not isinstance(subject, str) or not subject:
        return None
    try:
        user = await adapter.get_user(subject)
    except Exception as exc:
        raise StorageUnavailable from exc
    return None if user is None else str(user["id"])


async def intent(ctx: RequestContext, provider: Any) -> str | AuthResponse:
    """``POST /signin/:provider`` with ``link=true``: the user id to link to, or a refusal."""
    if (
        ctx.options.adapter is None
        or getattr(provider, "type", None) != "oauth"
        or not getattr(provider, "checks", ())
    ):
        logger.error(
            "SIGNIN_LINK_ERROR: provider %s cannot link accounts (an OAuth provider with "
            "checks and an adapter are needed)",
            provider.id,
        )
        return to_error(ctx.url, ErrorCode.Signin)
    try:
        user_id = await current_user_id(ctx)
    except StorageUnavailable as exc:
        return storage_failed(ctx, "SIGNIN_LINK_ERROR", exc)
    if user_id is None:
        return to_error(ctx.url, ErrorCode.SessionRequired)
    return user_id


async def still_signed_in(ctx: RequestContext, user_id: str) -> AuthResponse | None:
    """At the callback: ``None`` when the session is still ``user_id``'s, else the refusal."""
    try:
        current = await current_user_id(ctx)
    except StorageUnavailable as exc:
        return storage_failed(ctx, "SIGNIN_LINK_ERROR", exc)
    if current is None:
        return to_error(ctx.url, ErrorCode.SessionRequired)
    if current != user_id:
        logger.warning("SIGNIN_LINK_ERROR: the session changed user during the link flow")
        return to_error(ctx.url, ErrorCode.OAuthAccountNotLinked)
    return None
