"""``POST /callback/<password-id>``: check an e-mail address and password against the store.

Called by the credentials callback in place of a user's ``authorize``, after the throttle has
counted the attempt. One argon2id verification runs whether or not the account exists (against
a dummy hash when it does not), so a refusal takes the same time for known and unknown users.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core.email.normalize import InvalidEmailError, normalize_email
from authgate._core.outage import storage_failed
from authgate._core.password import links
from authgate._core.password.store import hash_new, store_of, verify
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse
    from authgate.providers.password import Password

logger = logging.getLogger("authgate")

UNVERIFIED = ErrorCode.EmailNotVerified


async def authenticate(
    ctx: RequestContext, provider: Password, credentials: Mapping[str, Any]
) -> dict[str, Any] | AuthResponse | None:
    """The stored user, ``None`` for wrong credentials, or a refusal to answer with."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    raw = credentials.get("email")
    try:
        email: str | None = normalize_email(raw) if isinstance(raw, str) else None
    except InvalidEmailError:
        email = None
    store = store_of(ctx)
    try:
        user = await adapter.get_user_by_email(email) if email else None
        stored = await store.get_password_hash(user["id"]) if user else None
    except Exception as exc:  # noqa: BLE001
        return storage_failed(ctx, "CALLBACK_CREDENTIALS_ERROR", exc)
    password = credentials.get("password")
    matches, rehash = await verify(ctx, stored, password)
    if not matches or user is None or email is None or not isinstance(password, str):
        return None
    if rehash:
        try:
            await store.set_password_hash(user["id"], await hash_new(ctx, password))
        except Exception as exc:  # noqa: BLE001 - the old hash still works: sign in anyway
            logger.error("PASSWORD_REHASH_ERROR: the adapter failed (%s)", type(exc).__name__)
    if provider.require_verified_email and user["emailVerified"] is None:
        # The password is right, so saying so tells an attacker nothing new; a fresh link goes.
        await links.confirm_address(ctx, provider, email)
        return to_error(ctx.url, UNVERIFIED, status=403)
    return dict(user)
