"""The challenge of one WebAuthn ceremony: a sealed cookie, used once, for 5 minutes at most.

The cookie (``<prefix>.challenge``, as Auth.js names it) holds the challenge and what the
ceremony is bound to (the action, the provider, the signed-in user or the sign-up address, and
for a second factor the pending sign-in),
encrypted with the secret. A challenge is single use across processes: a row in the adapter's
verification-token table (the challenge's HMAC under its own key, never the challenge) is
created with it and consumed by the response; a replayed cookie finds no row. Both expire
after the provider's ``timeout``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from authgate._crypto.keys import WEBAUTHN_CHALLENGE, purpose_digest
from authgate.errors import TokenError

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter
    from authgate.http import Cookie
    from authgate.providers.passkey import Passkey

__all__ = ["Ceremony", "consume", "issue"]

CHALLENGE_BYTES = 32


@dataclass(frozen=True, slots=True)
class Ceremony:
    """What a challenge cookie was issued for."""

    challenge: bytes
    action: str  # "register" | "authenticate" | "two-factor"
    user_id: str | None  # registration for a signed-in user; the user of a second factor
    email: str | None  # sign-up with a new passkey
    bound: str | None = None  # a second factor: the pending sign-in's id (None: a step-up)


def _identifier(provider: Passkey) -> str:
    return f"authgate:webauthn:{provider.id}"


def _digest(ctx: RequestContext, challenge: str) -> str:
    return purpose_digest(ctx.options.secrets[0], WEBAUTHN_CHALLENGE, challenge)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


async def issue(
    ctx: RequestContext,
    provider: Passkey,
    *,
    action: str,
    user_id: str | None = None,
    email: str | None = None,
    bound: str | None = None,
) -> tuple[bytes, Cookie]:
    """A new challenge and its cookie; the single-use row is stored first.

    Raises:
        Exception: The adapter failed (the caller answers it).
    """
    challenge = secrets.token_bytes(CHALLENGE_BYTES)
    encoded = _b64url(challenge)
    adapter: Any = ctx.options.adapter
    expires = datetime.fromtimestamp(ctx.now, UTC) + timedelta(seconds=provider.timeout)
    await adapter.create_verification_token(
        {"identifier": _identifier(provider), "token": _digest(ctx, encoded), "expires": expires}
    )
    spec = ctx.cookies.webauthn_challenge
    claims = {"challenge": encoded, "action": action, "provider": provider.id}
    if user_id is not None:
        claims["uid"] = user_id
    if email is not None:
        claims["email"] = email
    if bound is not None:
        claims["bound"] = bound
    sealed = ctx.options.check_codec(spec.name).encode(
        claims, max_age=provider.timeout, now=ctx.now
    )
    return challenge, spec.make(sealed, max_age=provider.timeout)


def clear(ctx: RequestContext) -> Cookie:
    """The deletion of the challenge cookie (every response to a ceremony sends it)."""
    return ctx.cookies.webauthn_challenge.delete()


async def consume(
    ctx: RequestContext, provider: Passkey, action: str, tx: Adapter | None = None
) -> Ceremony | None:
    """The request's ceremony, used up now; ``None`` when missing, expired, replayed or not ours.

    ``tx``: the transaction to use it up in (default: the configured adapter).

    Raises:
        Exception: The adapter failed (the caller answers it).
    """
    spec = ctx.cookies.webauthn_challenge
    if spec.name in ctx.request.duplicate_cookies:
        return None
    sealed = ctx.request.cookies.get(spec.name)
    if not sealed or len(sealed) > 4096:
        return None
    try:
        claims = ctx.options.check_codec(spec.name).decode(sealed, now=ctx.now)
    except TokenError:
        return None
    encoded = claims.get("challenge")
    if (
        not isinstance(encoded, str)
        or claims.get("provider") != provider.id
        or claims.get("action") != action
    ):
        return None
    adapter: Any = tx if tx is not None else ctx.options.adapter
    row = await adapter.use_verification_token(_identifier(provider), _digest(ctx, encoded))
    if row is None or row["expires"] <= datetime.fromtimestamp(ctx.now, UTC):
        return None
    uid, email, bound = claims.get("uid"), claims.get("email"), claims.get("bound")
    return Ceremony(
        challenge=base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)),
        action=action,
        user_id=uid if isinstance(uid, str) else None,
        email=email if isinstance(email, str) else None,
        bound=bound if isinstance(bound, str) else None,
    )
