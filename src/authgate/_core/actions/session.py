"""GET /session (read and re-issue) and POST /session (update, CSRF-protected)."""

from __future__ import annotations

import logging
from time import perf_counter
from typing import TYPE_CHECKING

from authgate._core import db_session, jwt_session, session_reader
from authgate._core.cookies import clear_session
from authgate._core.events import fire
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Callable

    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    empty = ctx.options.profile.empty_session  # v4 {}, v5 null
    return await _respond(ctx, lambda: AuthResponse.json(empty, no_store=True), update=False)


async def post(ctx: RequestContext) -> AuthResponse:
    empty = ctx.options.profile.empty_session
    if not ctx.csrf.verified:
        return AuthResponse.json(empty, status=400)
    return await _respond(ctx, lambda: AuthResponse.json(empty), update=True)


def _ended(ctx: RequestContext, empty: AuthResponse) -> AuthResponse:
    empty.cookies = clear_session(ctx.cookies.session_token, ctx.request.cookies)
    return empty


async def _respond(
    ctx: RequestContext, empty: Callable[[], AuthResponse], *, update: bool
) -> AuthResponse:
    # ``empty`` is built only when needed: a valid session (the hot path) never encodes it.
    options = ctx.options
    telemetry = options.telemetry
    started = perf_counter() if telemetry is not None else 0.0
    found = await session_reader.read(
        options, ctx.request.cookies, ctx.cookies.session_token.name, ctx.now
    )
    if telemetry is not None:
        telemetry.session_read(options.session_strategy, found, started)
    if options.session_strategy == "database":
        return await db_session.respond(ctx, found, empty, update=update)
    if found.token is None:
        return empty()
    claims = found.claims
    if claims is None:
        # A revocation store that cannot answer: no session, but the cookie stays.
        return empty() if found.unavailable else _ended(ctx, empty())
    now = ctx.now
    # jwt_session.young(), inline: whether JWTConfig(reissue_after) keeps this token as it is.
    after = options.reissue_after
    young = (
        after is not None
        and not update
        and type(issued := claims.get("iat")) is int
        and 0 <= now - issued < after
    )
    before = dict(claims) if young else None  # the jwt callback may change it in place
    try:
        if options.jwt_callback is None and options.session_callback is None:
            # jwt_session.derive() without callbacks (the common case), inline.
            session, token = session_reader.default_session(options, claims, now), claims
        else:
            derived = await jwt_session.derive(
                options, claims, now=now, update=update, data=ctx.body.get("data")
            )
            if derived is None:
                return _ended(ctx, empty())
            session, token = derived
        response = AuthResponse.json(session, no_store=not update)
        if before is None or token != before:
            response.cookies = jwt_session.issue(ctx, token, max_age=options.session_max_age)
    except Exception:
        logger.exception("JWT_SESSION_ERROR: a jwt/session callback failed")
        return _ended(ctx, empty())
    if options.events.get("session") is not None:  # fire() has nothing to call otherwise
        await fire(options, "session", session=session, token=token)
    return response
