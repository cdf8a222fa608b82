"""GET /signout (confirmation page) and POST /signout (end the session).

A sign-out that could not be carried out (the adapter failed to delete the row) is never
answered as a success: ``/error?error=SignOut`` (``503`` in JSON mode), the cookie kept so the
user can try again (compatibility row 90). v4 logs ``SIGNOUT_ERROR``, clears the cookie and
leaves the session alive for whoever kept a copy of the cookie.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import db_session, jwt_session, pages
from authgate._core.cookies import clear_session, session_chunk_names
from authgate._core.events import fire
from authgate._core.redirects import csrf_refused, to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.revocation import session_ref

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.types import JWT

logger = logging.getLogger("authgate")

SIGN_OUT_FAILED = ErrorCode.SignOut


async def end_jwt_session(options: InternalOptions, claims: JWT, now: float) -> bool:
    """Record the session of ``claims`` as ended in the revocation store, if there is one.

    A copy of the cookie kept elsewhere (a shared computer, a thief) is refused from now on.
    ``False`` when the store failed; tokens without a session id have nothing to record.
    """
    store = options.revocation
    ref = session_ref(claims) if store is not None else None
    if store is None or ref is None or ref.session_id is None:
        return True
    try:
        await store.end_session(
            ref.user_id, ref.session_id, ttl=jwt_session.revocation_ttl(options)
        )
    except Exception as exc:  # noqa: BLE001 - any store failure: the sign-out did not happen
        logger.error("SIGNOUT_ERROR: the revocation store failed (%s)", type(exc).__name__)
        return False
    return True


async def get(ctx: RequestContext) -> AuthResponse:
    custom = ctx.options.pages.sign_out
    if custom:
        return AuthResponse.to(custom)
    return pages.render_signout(
        theme=ctx.options.theme, url=ctx.url, csrf_token=ctx.csrf.token, lang=ctx.language
    )


async def post(ctx: RequestContext) -> AuthResponse:
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, "signout")
    response = AuthResponse.to(ctx.callback_url)
    spec = ctx.cookies.session_token
    if not session_chunk_names(ctx.request.cookies, spec.name):
        return response
    if ctx.options.session_strategy == "database":
        if not await db_session.sign_out(ctx):
            return to_error(ctx.url, SIGN_OUT_FAILED, status=503)
    else:
        _, claims = jwt_session.read(ctx)
        if claims is not None:
            if not await end_jwt_session(ctx.options, claims, ctx.now):
                return to_error(ctx.url, SIGN_OUT_FAILED, status=503)
            await fire(ctx.options, "sign_out", token=claims)
    response.cookies = clear_session(spec, ctx.request.cookies)
    return response
