"""GET|POST /callback/:provider: finish a sign-in. Credentials are checked here (POST)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authgate._core import callback_url, jwt_session, throttle
from authgate._core.events import fire
from authgate._core.redirects import to_error
from authgate.errors import SignInError
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    # Unknown provider ids never get here (the engine answers them). v4 answers a credentials
    # GET with a 500; it is a client error (compatibility.md).
    return AuthResponse.text(
        "Error: Callback for provider type credentials not supported", status=400
    )


async def post(ctx: RequestContext) -> AuthResponse:
    if not ctx.csrf.verified:
        return AuthResponse.to(f"{ctx.url}/signin?csrf=true")
    provider = ctx.options.providers[ctx.provider_id or ""]
    return await _credentials(ctx, provider.id)


def _refusal(ctx: RequestContext, exc: BaseException, *, where: str, status: int) -> AuthResponse:
    """Map an exception from user code to an error redirect without leaking its message."""
    if isinstance(exc, SignInError):
        provider = ctx.provider_id if exc.code == "CredentialsSignin" else None
        return to_error(ctx.url, exc.code, status=status, provider=provider)
    logger.error("%s: %s raised %s", where, ctx.provider_id, type(exc).__name__, exc_info=exc)
    return to_error(ctx.url, "Configuration", status=500)


async def _credentials(ctx: RequestContext, provider_id: str) -> AuthResponse:
    options = ctx.options
    credentials = dict(ctx.body)
    # Counted before authorize runs, whether or not the account exists (security decision 13).
    attempt = await throttle.admit(ctx, credentials)
    if isinstance(attempt, AuthResponse):
        return attempt
    try:
        user = await options.authorize[provider_id](credentials, ctx.request)
    except Exception as exc:  # noqa: BLE001 - user code: mapped to an error code
        return _refusal(ctx, exc, where="CALLBACK_CREDENTIALS_HANDLER_ERROR", status=401)
    if not user:
        return to_error(ctx.url, "CredentialsSignin", status=401, provider=provider_id)
    if not isinstance(user, Mapping):
        logger.error("CALLBACK_CREDENTIALS_HANDLER_ERROR: authorize must return a mapping or None")
        return to_error(ctx.url, "Configuration", status=500)
    await throttle.settle(ctx, attempt)
    user = dict(user)
    account = {
        "providerAccountId": str(user.get("id")) if user.get("id") is not None else None,
        "type": "credentials",
        "provider": provider_id,
    }

    if options.sign_in is not None:
        try:
            allowed = await options.sign_in(
                user=user, account=account, credentials=credentials, profile=None, email=None
            )
        except Exception as exc:  # noqa: BLE001
            return _refusal(ctx, exc, where="SIGNIN_CALLBACK_ERROR", status=403)
        if not allowed:  # before the string case: v4 treats "" as a refusal
            return to_error(ctx.url, "AccessDenied", status=403)
        if isinstance(allowed, str):
            return _redirect_from_sign_in(ctx, allowed)

    token: Any = jwt_session.default_token(user)
    try:
        if options.jwt is not None:
            token = await options.jwt(
                token=token,
                user=user,
                account=account,
                profile=None,
                is_new_user=False,
                trigger="signIn",
                session=None,
            )
        if not token:
            return to_error(ctx.url, "AccessDenied", status=403)
        cookies = jwt_session.issue(ctx, token, max_age=options.jwt_max_age)
    except Exception as exc:  # noqa: BLE001
        return _refusal(ctx, exc, where="CALLBACK_CREDENTIALS_JWT_ERROR", status=500)
    await fire(options, "sign_in", user=user, account=account, profile=None, is_new_user=False)
    response = AuthResponse.to(ctx.callback_url)
    response.cookies = cookies
    return response


def _redirect_from_sign_in(ctx: RequestContext, target: str) -> AuthResponse:
    # v4 redirects to the string raw; it must at least be a URL (never a header injection).
    if not callback_url.is_valid(target):
        logger.error("SIGNIN_CALLBACK_ERROR: sign_in returned a string that is not a URL")
        return to_error(ctx.url, "Configuration", status=500)
    return AuthResponse.to(f"{ctx.origin}{target}" if target.startswith("/") else target)
