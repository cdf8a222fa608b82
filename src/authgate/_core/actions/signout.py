"""GET /signout (confirmation page) and POST /signout (end the session).

A sign-out that could not be carried out (the adapter failed to delete the row) is never
answered as a success: ``/error?error=SignOut`` (``503`` in JSON mode), the cookie kept so the
user can try again (compatibility row 90). v4 logs ``SIGNOUT_ERROR``, clears the cookie and
leaves the session alive for whoever kept a copy of the cookie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import db_session, jwt_session, pages
from authgate._core.cookies import clear_session, session_chunk_names
from authgate._core.events import fire
from authgate._core.redirects import csrf_refused, to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

SIGN_OUT_FAILED = ErrorCode.SignOut


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
            await fire(ctx.options, "sign_out", token=claims)
    response.cookies = clear_session(spec, ctx.request.cookies)
    return response
