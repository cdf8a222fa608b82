"""GET|POST /callback/:provider: finish a sign-in. Credentials are checked here (POST)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from authgate._core import throttle
from authgate._core.email import flow as email_flow
from authgate._core.oauth import flow as oauth_flow
from authgate._core.password.sign_in import authenticate as password_sign_in
from authgate._core.redirects import csrf_refused, to_error
from authgate._core.sign_in_check import refusal
from authgate._core.sign_in_flow import FirstFactor, complete_sign_in
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.providers.password import Password

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    email = email_flow.provider_of(ctx)
    if email is not None:  # the magic link (HEAD never gets here: 400)
        return await email_flow.callback(ctx, email)
    # Unknown provider ids never get here (the engine answers them).
    provider = ctx.options.providers[ctx.provider_id or ""]
    if provider.type == "oauth":
        return await oauth_flow.finish(ctx, provider)
    # v4 answers a credentials GET with a 500; it is a client error (compatibility.md).
    return AuthResponse.text(
        "Error: Callback for provider type credentials not supported", status=400
    )


async def post(ctx: RequestContext) -> AuthResponse:
    email = email_flow.provider_of(ctx)
    if email is not None:  # the confirmation page of Email(confirm=True); checks CSRF itself
        return await email_flow.callback(ctx, email)
    provider = ctx.options.providers[ctx.provider_id or ""]
    if provider.type == "oauth":  # response_mode=form_post: no CSRF token (the provider posts)
        return await oauth_flow.finish(ctx, provider)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url)
    if provider.type == "webauthn":
        # Imported here: py_webauthn is the optional `passkeys` extra.
        from authgate._core.webauthn import flow as webauthn_flow

        return await webauthn_flow.callback(ctx, provider)
    return await _credentials(ctx, provider.id)


async def _credentials(ctx: RequestContext, provider_id: str) -> AuthResponse:
    options = ctx.options
    credentials = dict(ctx.body)
    # Counted before authorize runs, whether or not the account exists (SECURITY.md, decision 13).
    attempt = await throttle.admit(ctx, credentials)
    if isinstance(attempt, AuthResponse):
        return attempt
    provider = options.providers[provider_id]
    if isinstance(provider, Password):  # accounts authgate stores itself
        user = await password_sign_in(ctx, provider, credentials)
        if isinstance(user, AuthResponse):
            return user
    else:
        try:
            user = await options.authorize[provider_id](credentials, ctx.request)
        except Exception as exc:  # noqa: BLE001 - user code: mapped to an error code
            return refusal(ctx, exc, where="CALLBACK_CREDENTIALS_HANDLER_ERROR", status=401)
    if not user:
        return to_error(ctx.url, ErrorCode.CredentialsSignin, status=401, provider=provider_id)
    if not isinstance(user, Mapping):
        logger.error("CALLBACK_CREDENTIALS_HANDLER_ERROR: authorize must return a mapping or None")
        return to_error(ctx.url, ErrorCode.Configuration, status=500)
    await throttle.settle(ctx, attempt)
    user = dict(user)
    # v4: providerAccountId is user.id, left out when undefined; the pipeline checks it.
    account: dict[str, Any] = {"type": "credentials", "provider": provider_id}
    if user.get("id") is not None:
        account["providerAccountId"] = user["id"]
    return await complete_sign_in(
        ctx, FirstFactor(user=user, account=account, credentials=credentials, denied_status=403)
    )
