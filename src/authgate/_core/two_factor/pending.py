"""The pending sign-in between the two factors: a sealed cookie, 5 minutes, used once.

It holds who passed the first factor (the user, the account, the method) and where to go next
(the callback URL resolved at the first factor), sealed with a key of its own. It is single
use: its id is stored in the e-mail token store (hashed, expiring) and consumed when the
second factor succeeds, so a copy of the cookie cannot sign in a second time.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from authgate._crypto.sealed import Sealer
from authgate._crypto.tokens import sha256_hex

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.cookies import CookieSpec
    from authgate.http import Cookie

PURPOSE = "two-factor pending sign-in"
MAX_COOKIE = 3800  # one cookie, below the 4096-byte limit with its attributes


@dataclass(frozen=True, slots=True)
class Pending:
    """A first factor passed: who, how, and where to go."""

    subject: str
    user: dict[str, Any]
    account: dict[str, Any]
    method: str
    callback_url: str
    jti: str
    expires: float


def spec(ctx: RequestContext) -> CookieSpec:
    """The pending cookie: named after the profile's prefix, attributes of the session cookie."""
    session = ctx.cookies.session_token
    prefix = "__Secure-" if session.secure else ""
    name = f"{prefix}{ctx.options.profile.cookie_prefix}.two-factor"
    assert ctx.options.two_factor is not None  # noqa: S101 - only called when configured
    return dataclasses.replace(session, name=name, max_age=ctx.options.two_factor.pending_max_age)


def _identifier(subject: str) -> str:
    return f"two-factor:{subject}"


def _digest(ctx: RequestContext, jti: str) -> str:
    return sha256_hex(jti + ctx.options.secrets[0])


async def start(
    ctx: RequestContext,
    *,
    subject: str,
    user: dict[str, Any],
    account: dict[str, Any],
    method: str,
) -> Cookie | None:
    """Store the single-use id and make the cookie; ``None`` when it cannot be carried."""
    config = ctx.options.two_factor
    adapter = ctx.options.adapter
    assert config is not None  # noqa: S101
    assert adapter is not None  # noqa: S101
    jti = secrets.token_urlsafe(24)
    expires = ctx.now + config.pending_max_age
    data = {
        "sub": subject,
        "user": {k: v.isoformat() if isinstance(v, datetime) else v for k, v in user.items()},
        "account": account,
        "m": method,
        "cb": ctx.callback_url,
        "jti": jti,
        "exp": expires,
    }
    try:
        sealed = Sealer(ctx.options.secrets, PURPOSE).seal(data)
    except (TypeError, ValueError):  # a user mapping that is not JSON
        return None
    if len(sealed) > MAX_COOKIE:
        return None
    await adapter.create_verification_token(
        {
            "identifier": _identifier(subject),
            "token": _digest(ctx, jti),
            "expires": datetime.fromtimestamp(expires, UTC) + timedelta(seconds=1),
        }
    )
    return spec(ctx).make(sealed)


def read(ctx: RequestContext) -> Pending | None:
    """The request's pending sign-in, if its cookie opens and has not expired."""
    if ctx.options.two_factor is None:
        return None
    raw = ctx.request.cookies.get(spec(ctx).name)
    data = Sealer(ctx.options.secrets, PURPOSE).open(raw) if raw else None
    if data is None:
        return None
    try:
        pending = Pending(
            subject=str(data["sub"]),
            user=dict(data["user"]),
            account=dict(data["account"]),
            method=str(data["m"]),
            callback_url=str(data["cb"]),
            jti=str(data["jti"]),
            expires=float(data["exp"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return pending if pending.expires > ctx.now else None


async def use(ctx: RequestContext, pending: Pending) -> bool:
    """Consume the pending sign-in: ``True`` once. Raises when storage fails."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101
    used = await adapter.use_verification_token(
        _identifier(pending.subject), _digest(ctx, pending.jti)
    )
    return used is not None


def clear(ctx: RequestContext) -> Cookie:
    """The instruction that deletes the cookie."""
    return spec(ctx).delete()
