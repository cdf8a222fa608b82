"""GET /session (read and re-issue) and POST /session (update, CSRF-protected)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import jwt_session
from authgate._core.cookies import clear_session
from authgate._core.events import fire
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    empty = ctx.options.profile.empty_session  # v4 {}, v5 null
    return await _respond(ctx, AuthResponse.json(empty, no_store=True), update=False)


async def post(ctx: RequestContext) -> AuthResponse:
    empty = ctx.options.profile.empty_session
    if not ctx.csrf.verified:
        return AuthResponse.json(empty, status=400)
    return await _respond(ctx, AuthResponse.json(empty), update=True)


async def _respond(ctx: RequestContext, empty: AuthResponse, *, update: bool) -> AuthResponse:
    raw, claims = jwt_session.read(ctx)
    if raw is None:
        return empty
    if claims is None:
        empty.cookies = clear_session(ctx.cookies.session_token, ctx.request.cookies)
        return empty
    try:
        derived = await jwt_session.derive(
            ctx.options, claims, now=ctx.now, update=update, data=ctx.body.get("data")
        )
        if derived is None:
            empty.cookies = clear_session(ctx.cookies.session_token, ctx.request.cookies)
            return empty
        session, token = derived
        response = AuthResponse.json(session, no_store=not update)
        response.cookies = jwt_session.issue(ctx, token, max_age=ctx.options.session_max_age)
    except Exception:
        logger.exception("JWT_SESSION_ERROR: a jwt/session callback failed")
        empty.cookies = clear_session(ctx.cookies.session_token, ctx.request.cookies)
        return empty
    await fire(ctx.options, "session", session=session, token=token)
    return response
