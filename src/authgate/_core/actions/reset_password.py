"""GET|POST /reset-password: the mailed link's page, then the new password.

``GET`` only shows the form (a link scanner cannot use the token up); the ``POST`` checks the
new password first (a refused one keeps the link usable), then uses the token (single use, at
most an hour old), stores the hash, marks the address confirmed (the link proved it) and ends
every session of the user: database rows are deleted; JWT sessions end through the revocation
store, inside the transaction, so a store that cannot be reached changes nothing (``503``, the
link still usable).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.outage import storage_failed
from authgate._core.password import forms, links, policy
from authgate._core.password.sessions import end_jwt_sessions, end_other_sessions
from authgate._core.password.store import hash_new
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.i18n import N_
from authgate.revocation import RevocationUnavailableError

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import AdapterUser, PasswordStore
    from authgate.providers.password import Password

logger = logging.getLogger("authgate")


async def get(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "reset-password")
    if isinstance(provider, AuthResponse):
        return provider
    query = ctx.request.query
    if query.get("done"):
        what = N_("Your password is changed and your other sessions have ended.")
        return forms.show(ctx, forms.done(ctx, N_("Password changed"), what))
    email, token = query.get("email"), query.get("token")
    if not email or not token or len(token) > links.MAX_TOKEN_LENGTH:
        return to_error(ctx.url, ErrorCode.Verification)
    return forms.show(ctx, forms.reset(ctx, provider, email=email[:254], token=token))


async def post(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "reset-password")
    if isinstance(provider, AuthResponse):
        return provider
    email = text_field(ctx.body, "email") or ""
    token = text_field(ctx.body, "token") or ""
    password = text_field(ctx.body, "password") or ""
    if not email or not token or len(token) > links.MAX_TOKEN_LENGTH:
        return to_error(ctx.url, ErrorCode.Verification)
    page = forms.reset(ctx, provider, email=email[:254], token=token)
    if not password:
        return forms.refuse(ctx, "MissingFields", page)
    problem = policy.problem_for(provider, password, email)
    if problem is not None:
        return forms.refuse(ctx, problem, page)
    attempt = await throttle.admit(ctx, {}, identifier=f"reset:{email}")
    if isinstance(attempt, AuthResponse):
        return attempt
    password_hash = await hash_new(ctx, password)
    try:
        user = await _reset(ctx, provider, email, token, password_hash)
    except RevocationUnavailableError:
        logger.error("RESET_PASSWORD_ERROR: the revocation store failed; nothing changed")
        return to_error(ctx.url, ErrorCode.Callback, status=503)
    except Exception as exc:  # noqa: BLE001 - one transaction: nothing was written
        return storage_failed(ctx, "RESET_PASSWORD_ERROR", exc)
    if user is None:
        return to_error(ctx.url, ErrorCode.Verification)
    return AuthResponse.to(f"{ctx.url}/reset-password?done=1&provider={provider.id}")


async def _reset(
    ctx: RequestContext, provider: Password, email: str, token: str, password_hash: str
) -> AdapterUser | None:
    """Use the token and store the hash in one transaction; ``None`` for a bad link."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101
    async with adapter.transaction() as tx:
        if not await links.use(ctx, "reset-password", email, token, tx):
            return None
        user = await tx.get_user_by_email(email)
        if user is None:
            return None
        await cast("PasswordStore", tx).set_password_hash(user["id"], password_hash)
        if await tx.get_user_by_account(provider.id, user["id"]) is None:
            # A user who signed up another way gets a password through the mailed link.
            await tx.link_account(links.stored_account(provider, user["id"]))
        if user["emailVerified"] is None:  # the link proved the address
            verified = datetime.fromtimestamp(ctx.now, UTC)
            user = await tx.update_user({"id": user["id"], "emailVerified": verified})
        await end_other_sessions(tx, user["id"], keep=None)  # raises: all rolled back
        await end_jwt_sessions(ctx.options, user["id"], ctx.now)  # raises: all rolled back
    return user
