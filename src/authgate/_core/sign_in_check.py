"""The steps of a sign-in that call user code: the ``sign_in`` and ``jwt`` callbacks.

Used by the pipeline (:mod:`authgate._core.sign_in_flow`), the e-mail request (the ``sign_in``
callback before a link is sent) and the credentials route (:func:`refusal`: user-code
exceptions mapped to error redirects without leaking their message).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core import callback_url, jwt_session
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode, SignInError, code_of
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.http import Cookie

logger = logging.getLogger("authgate")


def refusal(
    ctx: RequestContext,
    exc: BaseException,
    *,
    where: str,
    status: int,
    unexpected: ErrorCode | None = None,
) -> AuthResponse:
    """Map an exception from user code to an error redirect without leaking its message.

    A :class:`SignInError` sends its code; anything else is logged and answered with
    ``unexpected`` (and ``status``) or, when that is ``None``, ``Configuration`` with a 500.
    """
    if isinstance(exc, SignInError):
        code = code_of(exc.code)
        provider = ctx.provider_id if code is ErrorCode.CredentialsSignin else None
        reason = getattr(exc, "reason", None)
        return to_error(ctx.url, code, status=status, provider=provider, reason=reason)
    logger.error("%s: %s raised %s", where, ctx.provider_id, type(exc).__name__, exc_info=exc)
    if unexpected is not None:
        return to_error(ctx.url, unexpected, status=status)
    return to_error(ctx.url, ErrorCode.Configuration, status=500)


def redirect_from_sign_in(ctx: RequestContext, target: str) -> AuthResponse:
    """The redirect for a ``sign_in`` callback that returned a string."""
    # v4 redirects to the string raw; it must at least be a URL (never a header injection).
    if not callback_url.is_valid(target):
        logger.error("SIGNIN_CALLBACK_ERROR: sign_in returned a string that is not a URL")
        return to_error(ctx.url, ErrorCode.Configuration, status=500)
    return AuthResponse.to(f"{ctx.origin}{target}" if target.startswith("/") else target)


async def check_sign_in(
    ctx: RequestContext,
    *,
    user: Mapping[str, Any],
    account: Mapping[str, Any],
    profile: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    email: Mapping[str, Any] | None = None,
    denied_status: int = 302,
) -> AuthResponse | None:
    """Run the ``sign_in`` callback; an :class:`AuthResponse` means stop and answer with it."""
    hook = ctx.options.sign_in_callback
    if hook is None:
        return None
    try:
        allowed = await hook(
            user=user, account=account, credentials=credentials, profile=profile, email=email
        )
    except Exception as exc:  # noqa: BLE001 - user code: mapped to an error code
        return refusal(
            ctx,
            exc,
            where="SIGNIN_CALLBACK_ERROR",
            status=denied_status,
            unexpected=ctx.options.profile.sign_in_callback_error,
        )
    if not allowed:  # before the string case: v4 treats "" as a refusal
        return to_error(ctx.url, ErrorCode.AccessDenied, status=denied_status)
    if isinstance(allowed, str):
        return redirect_from_sign_in(ctx, allowed)
    return None


async def sign_in_cookies(
    ctx: RequestContext,
    *,
    user: Mapping[str, Any],
    account: Mapping[str, Any],
    profile: Mapping[str, Any] | None,
    is_new_user: bool | None,
    denied_status: int = 302,
    claims: Mapping[str, Any] | None = None,
) -> list[Cookie] | AuthResponse:
    """JWT sessions at sign-in: the ``jwt`` callback (``signUp`` for a new user), then the cookie.

    ``claims``: authgate's own claims, set after the callback (two-factor: ``amr``, how the
    user signed in, and ``tfs``, whose factors they are).

    An :class:`AuthResponse` means the callback refused (``AccessDenied``) or failed.
    """
    options = ctx.options
    token: Any = jwt_session.default_token(user)
    try:
        if options.jwt_callback is not None:
            token = await options.jwt_callback(
                token=token,
                user=user,
                account=account,
                profile=profile,
                is_new_user=is_new_user,
                trigger="signUp" if is_new_user else "signIn",
                session=None,
            )
        if not token:
            return to_error(ctx.url, ErrorCode.AccessDenied, status=denied_status)
        if claims:
            token = {**token, **claims}
        token = jwt_session.with_session_id(options, token, ctx.now)
        return jwt_session.issue(ctx, token, max_age=options.jwt_max_age)
    except Exception as exc:  # noqa: BLE001 - user code: mapped to an error code
        kind = str(account.get("type", "")).upper()
        return refusal(ctx, exc, where=f"CALLBACK_{kind}_JWT_ERROR", status=500)
