"""GET /verify-email?token=&email=: the link mailed after sign-up confirms the address."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from authgate._core.outage import storage_failed
from authgate._core.password import forms, links
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.i18n import N_

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "verify-email")
    if isinstance(provider, AuthResponse):
        return provider
    query = ctx.request.query
    email, token = query.get("email") or "", query.get("token") or ""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    try:
        async with adapter.transaction() as tx:  # the link stays usable if the update fails
            if not email or not await links.use(ctx, "verify-email", email, token, tx):
                return to_error(ctx.url, ErrorCode.Verification)
            user = await tx.get_user_by_email(email)
            if user is None:
                return to_error(ctx.url, ErrorCode.Verification)
            if user["emailVerified"] is None:
                verified = datetime.fromtimestamp(ctx.now, UTC)
                await tx.update_user({"id": user["id"], "emailVerified": verified})
    except Exception as exc:  # noqa: BLE001
        return storage_failed(ctx, "VERIFY_EMAIL_ERROR", exc)
    return forms.show(
        ctx,
        forms.done(ctx, N_("Address confirmed"), N_("Your e-mail address is confirmed. Sign in.")),
    )
