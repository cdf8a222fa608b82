"""Database sessions: a random token in the cookie, the session in the adapter.

next-auth v4: ``core/routes/session.ts``.

- The token is 256 bits from :mod:`secrets` (SECURITY.md, decision 2; v4 uses a UUID).
- ``/session`` deletes an expired session, slides the expiry once ``update_age`` has passed,
  and runs the ``session`` callback with the stored ``user``.
- A failing database means "no session" and the cookie is **kept**: an outage must not sign
  everybody out, and must never look like success (SECURITY.md, decision 15). It is logged.
- A failing database at sign-out is a failed sign-out (``/error?error=SignOut``), the cookie
  kept for a retry: never a cleared cookie over a live row.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from authgate._core import devices, session_reader
from authgate._core.cookies import clear_session, expires_in, session_chunk_names
from authgate._core.events import fire
from authgate._crypto.tokens import random_hex
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.adapters import Adapter, AdapterSession, AdapterUser, SessionDevices
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

TOKEN_BYTES = 32  # 256 bits


class DatabaseDownError(Exception):
    """The adapter failed while reading a session: "no session", cookie kept."""


def iso(moment: datetime) -> str:
    """JavaScript's ``Date#toISOString`` of ``moment``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_token() -> str:
    return random_hex(TOKEN_BYTES)


def read_token(options: InternalOptions, name: str, cookies: Mapping[str, str]) -> str | None:
    """The session token in cookie ``name`` (database tokens are never chunked)."""
    found = session_reader.find_token(cookies, {}, session_reader.source_of(options, name))
    return None if found is None else found[1]


def session_user(user: Mapping[str, Any]) -> dict[str, Any]:
    """``session.user``: ``{name, email, image}`` of the stored user, as v4 builds it.

    A field the adapter returns as ``None`` stays ``null`` (v4 with Prisma or a SQL adapter); a
    field the adapter leaves out stays out (v4's ``JSON.stringify`` drops ``undefined``).
    """
    return {key: user[key] for key in ("name", "email", "image") if key in user}


async def create(
    ctx: RequestContext, adapter: Adapter, user_id: str
) -> tuple[AdapterSession, list[Cookie]]:
    """Store a new session for ``user_id``; the cookies that carry it.

    The session of the request, if any, is deleted (a new sign-in never keeps the old token).
    """
    options = ctx.options
    expires = expires_in(options.session_max_age, ctx.now)
    previous = read_token(options, ctx.cookies.session_token.name, ctx.request.cookies)
    if previous is not None:
        await adapter.delete_session(previous)
    session = await adapter.create_session(
        {"sessionToken": new_token(), "userId": user_id, "expires": expires}
    )
    if options.session_devices:
        await devices.record(ctx, cast("SessionDevices", adapter), session["sessionToken"])
    spec = ctx.cookies.session_token
    # Stale JWT chunks of the request go; the token is one short cookie.
    cookies = [
        spec.delete(name)
        for name in session_chunk_names(ctx.request.cookies, spec.name)
        if name != spec.name
    ]
    cookies.append(spec.make(session["sessionToken"], expires=session["expires"]))
    return session, cookies


async def lookup(
    options: InternalOptions, token: str, now: float
) -> tuple[AdapterSession, AdapterUser] | None:
    """The live session of ``token``: expired ones are deleted, the expiry slides.

    Raises :class:`DatabaseDownError` when the adapter fails.
    """
    adapter = options.adapter
    assert adapter is not None  # noqa: S101 - the database strategy requires one
    moment = datetime.fromtimestamp(now, UTC)
    try:
        found = await adapter.get_session_and_user(token)
        if found is None:
            return None
        session, user = found
        if session["expires"] <= moment:
            await adapter.delete_session(token)
            return None
        # v4: slide once update_age has passed since the last push (expires - max_age).
        max_age = timedelta(seconds=options.session_max_age)
        last_push = session["expires"] - max_age
        if last_push + timedelta(seconds=options.session_update_age) <= moment:
            moved = await adapter.update_session(token, expires=moment + max_age)
            if moved is None:
                return None
            if options.session_devices:
                await cast("SessionDevices", adapter).touch_session_device(token, moment)
    except Exception as exc:
        logger.error("SESSION_ERROR: the adapter failed (%s)", type(exc).__name__, exc_info=exc)
        raise DatabaseDownError from exc
    # The body's ``expires`` is the stored (pre-update) value, as in v4.
    return session, user


async def derive(
    options: InternalOptions,
    session: AdapterSession,
    user: AdapterUser,
    *,
    update: bool = False,
    data: Any = None,
) -> dict[str, Any]:
    """The ``/session`` body: the ``session`` callback over ``{user, expires}``."""
    payload: dict[str, Any] = {"user": session_user(user), "expires": iso(session["expires"])}
    if options.session_callback is not None:
        params: dict[str, Any] = {"session": payload, "user": user, "new_session": None}
        if update:
            params.update(trigger="update", new_session=data)
        payload = await options.session_callback(**params)
    return payload


async def respond(
    ctx: RequestContext,
    found: session_reader.SessionRead,
    empty: Callable[[], AuthResponse],
    *,
    update: bool,
) -> AuthResponse:
    """``GET``/``POST /session`` with the database strategy, from what the reader found."""
    spec = ctx.cookies.session_token
    if found.token is None or found.unavailable:
        return empty()  # an outage keeps the cookie: the session may be fine once it is back
    if found.stored is None:
        response = empty()
        response.cookies = clear_session(spec, ctx.request.cookies)
        return response
    session, user = found.stored
    try:
        payload = await derive(ctx.options, session, user, update=update, data=ctx.body.get("data"))
    except Exception:
        logger.exception("SESSION_ERROR: the session callback failed")
        return empty()
    response = AuthResponse.json(payload, no_store=not update)
    # v4 re-sets the cookie on every call, Expires = now + maxAge.
    expires = expires_in(ctx.options.session_max_age, ctx.now)
    response.cookies = [spec.make(found.token, expires=expires)]
    await fire(ctx.options, "session", session=payload, token=None)
    return response


async def sign_out(ctx: RequestContext) -> bool:
    """Delete the request's session row; ``events.sign_out(session=<the row>)``.

    ``False`` when the adapter failed: the session may still be alive, so the caller must not
    answer as if it had ended (the cookie is kept for a retry). A row already gone is success.
    """
    adapter = ctx.options.adapter
    token = read_token(ctx.options, ctx.cookies.session_token.name, ctx.request.cookies)
    if adapter is None or token is None:
        return True
    try:
        deleted = await adapter.delete_session(token)
    except Exception as exc:
        logger.error("SIGNOUT_ERROR: the adapter failed (%s)", type(exc).__name__, exc_info=exc)
        return False
    await fire(ctx.options, "sign_out", session=deleted, token=None)
    return True
