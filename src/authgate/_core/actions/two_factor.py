"""GET|POST /two-factor: the second factor of a sign-in, or a step-up of a live session.

With the pending cookie (a first factor just passed): the right code issues the session, as
the first factor would have; a wrong one asks again. Attempts are throttled per user and per
client like sign-in. Without it, a signed-in user proves the factor for the session they have
("step-up", what ``require_two_factor`` sends them to); a user who has not enrolled one is sent
to enrol.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.password.forms import refuse, show, signed_out_to_sign_in, unsupported
from authgate._core.redirects import csrf_refused, to_error
from authgate._core.two_factor import forms, pending, signed_in
from authgate._core.two_factor.step import Answer, check_answer
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")

HERE = "two-factor"


async def get(ctx: RequestContext) -> AuthResponse:
    if ctx.options.two_factor is None:
        return unsupported(ctx)
    if pending.read(ctx) is None:
        current = await signed_in.current(ctx)
        if current is None:
            return signed_out_to_sign_in(ctx, HERE)
        if await signed_in.store(ctx.options).get_two_factor(current.subject) is None:
            return AuthResponse.to(f"{ctx.url}/{forms.SETUP}")
    return show(ctx, forms.challenge(ctx))


async def post(ctx: RequestContext) -> AuthResponse:
    if ctx.options.two_factor is None:
        return unsupported(ctx)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, HERE)
    answer = Answer(
        code=text_field(ctx.body, "code") or None,
        recovery_code=text_field(ctx.body, "recoveryCode") or None,
    )
    waiting = pending.read(ctx)
    current = None if waiting is not None else await signed_in.current(ctx)
    if waiting is None and current is None:
        return to_error(ctx.url, ErrorCode.SessionRequired, status=401)
    subject = waiting.subject if waiting is not None else current.subject  # type: ignore[union-attr]
    if not answer.code and not answer.recovery_code:
        return refuse(ctx, "MissingFields", forms.challenge(ctx))
    attempt = await throttle.admit(ctx, {}, identifier=f"two-factor:{subject}")
    if isinstance(attempt, AuthResponse):
        return attempt
    try:
        method = await check_answer(ctx, subject, answer)
        if method is not None and waiting is not None and not await pending.use(ctx, waiting):
            return to_error(ctx.url, ErrorCode.Verification)  # the pending sign-in was used already
    except Exception as exc:  # noqa: BLE001 - fail closed
        logger.error("TWO_FACTOR_ERROR: the adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.Callback, status=500)
    if method is None:
        return refuse(ctx, "InvalidCode", forms.challenge(ctx))
    await throttle.settle(ctx, attempt)
    if waiting is None:
        assert current is not None  # noqa: S101
        response = AuthResponse.to(ctx.callback_url)
        response.cookies = await signed_in.add_method(ctx, current, method)
        return response
    from authgate._core.two_factor.finish import finish

    response = await finish(ctx, waiting, method)
    response.cookies.insert(0, pending.clear(ctx))
    return response
