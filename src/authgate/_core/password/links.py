"""The mailed links of password accounts: single-use, hashed, expiring tokens.

They live in the e-mail token store (``verification_token``) under an identifier that names
their purpose (``reset-password:ada@example.com``), so a token of one kind never works for
another, nor for an e-mail sign-in. What is stored is the token's HMAC under a key derived from the
secret for this purpose.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from authgate._crypto.keys import PASSWORD_TOKEN, purpose_digest
from authgate.providers.password import PasswordMail, site_of

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter, AdapterAccount
    from authgate.providers.password import MailKind, Password

logger = logging.getLogger("authgate")

Purpose = Literal["verify-email", "reset-password"]
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 128


def _digest(ctx: RequestContext, token: str) -> str:
    return purpose_digest(ctx.options.secrets[0], PASSWORD_TOKEN, token)


async def issue(
    ctx: RequestContext, provider: Password, purpose: Purpose, email: str
) -> tuple[str, datetime]:
    """Store a new token for ``email``; the link that carries it and when it expires."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    age = provider.reset_max_age if purpose == "reset-password" else provider.verify_max_age
    expires = datetime.fromtimestamp(ctx.now, UTC) + timedelta(seconds=age)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    await adapter.create_verification_token(
        {"identifier": f"{purpose}:{email}", "token": _digest(ctx, token), "expires": expires}
    )
    query = urlencode({"token": token, "email": email, "provider": provider.id})
    return f"{ctx.url}/{purpose}?{query}", expires


async def use(
    ctx: RequestContext, purpose: Purpose, email: str, token: str, adapter: Adapter | None = None
) -> bool:
    """Consume the token: ``True`` once for a live one, never again. Raises if storage fails.

    ``adapter``: the transaction to use it in (default: the configured adapter).
    """
    adapter = adapter or ctx.options.adapter
    assert adapter is not None  # noqa: S101
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return False
    found = await adapter.use_verification_token(f"{purpose}:{email}", _digest(ctx, token))
    return found is not None and found["expires"] > datetime.fromtimestamp(ctx.now, UTC)


async def send(
    ctx: RequestContext,
    provider: Password,
    kind: MailKind,
    email: str,
    url: str,
    expires: datetime | None = None,
) -> bool:
    """Send one mail; ``False`` (logged) when the sender failed."""
    mail = PasswordMail(
        kind=kind,
        to=email,
        url=url,
        expires=expires,
        site=site_of(ctx.url),
        theme=ctx.options.theme,
        locale=ctx.language.code,
    )
    try:
        await provider.sender(mail)
    except Exception as exc:  # noqa: BLE001 - SMTP down, a rejected recipient, user code
        logger.error("PASSWORD_MAIL_ERROR: sending a %s mail failed (%s)", kind, type(exc).__name__)
        return False
    return True


async def confirm_address(ctx: RequestContext, provider: Password, email: str) -> None:
    """Mail a link that confirms ``email`` (after sign-up; again at an unconfirmed sign-in)."""
    try:
        url, expires = await issue(ctx, provider, "verify-email", email)
    except Exception as exc:  # noqa: BLE001 - the account exists; the next sign-in retries
        logger.error("PASSWORD_TOKEN_ERROR: the adapter failed (%s)", type(exc).__name__)
        return
    await send(ctx, provider, "verify-email", email, url, expires)


def account_of(provider: Password, user: dict[str, Any]) -> dict[str, Any]:
    """The account a password user signs in with (linked at sign-up: ``(provider, user id)``)."""
    return {"providerAccountId": str(user["id"]), "type": "credentials", "provider": provider.id}


def stored_account(provider: Password, user_id: str) -> AdapterAccount:
    """The account row linking a user to the provider (written at sign-up or first reset)."""
    return {
        "userId": user_id,
        "type": "credentials",
        "provider": provider.id,
        "providerAccountId": user_id,
    }
