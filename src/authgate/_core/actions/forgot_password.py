"""GET|POST /forgot-password: mail a reset link (``authgate.providers.Password``).

Whether the address has an account never shows: the answer is the same redirect either way,
and an address without an account gets a mail saying so (which also makes both paths cost one
mail). Throttled per address and per client like sign-in.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.email.normalize import InvalidEmailError, normalize_email
from authgate._core.outage import storage_failed
from authgate._core.password import forms, links
from authgate.http import AuthResponse
from authgate.i18n import N_

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "forgot-password")
    if isinstance(provider, AuthResponse):
        return provider
    if ctx.request.query.get("sent"):
        what = N_("If the address has an account, a link to choose a new password is on its way.")
        return forms.show(ctx, forms.check_email(ctx, what))
    return forms.show(ctx, forms.forgot(ctx, provider))


async def post(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "forgot-password")
    if isinstance(provider, AuthResponse):
        return provider
    page = forms.forgot(ctx, provider)
    raw = text_field(ctx.body, "email")
    if not raw:
        return forms.refuse(ctx, "MissingFields", page)
    try:
        email = normalize_email(raw)
    except InvalidEmailError:
        return forms.refuse(ctx, "InvalidEmail", page)
    attempt = await throttle.admit(ctx, {}, identifier=f"reset:{email}")
    if isinstance(attempt, AuthResponse):
        return attempt
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    try:
        user = await adapter.get_user_by_email(email)
        if user is not None:
            url, expires = await links.issue(ctx, provider, "reset-password", email)
    except Exception as exc:  # noqa: BLE001
        return storage_failed(ctx, "FORGOT_PASSWORD_ERROR", exc)
    if user is not None:
        await links.send(ctx, provider, "reset-password", email, url, expires)
    else:
        await links.send(ctx, provider, "no-account", email, f"{ctx.url}/signup")
    return AuthResponse.to(f"{ctx.url}/forgot-password?sent=1&provider={provider.id}")
