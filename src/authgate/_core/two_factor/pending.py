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

from authgate._crypto.keys import TWO_FACTOR_PENDING, purpose_digest
from authgate._crypto.sealed import Sealer

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.cookies import CookieSpec
    from authgate._core.sign_in_flow import Verified
    from authgate.adapters import Adapter
    from authgate.http import Cookie

PURPOSE = "two-factor pending sign-in"
MAX_COOKIE = 3800  # one cookie, below the 4096-byte limit with its attributes


@dataclass(frozen=True, slots=True)
class Pending:
    """A first factor passed: who, how, and where to go."""

    subject: str
    sign_in: dict[str, Any]  # what the pipeline needs to issue the session (see _carried)
    method: str
    callback_url: str
    jti: str
    expires: float


def _plain(value: Any) -> Any:
    """JSON-safe: datetimes (a stored user's ``emailVerified``) as ISO strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, datetime) else value


def _carried(verified: Verified, lean: int) -> dict[str, Any]:
    """The sign-in to resume; ``lean`` > 0 leaves out what a big OAuth sign-in cannot carry.

    Never the submitted credentials (a password): the ``sign_in`` callback that reads them ran.
    """
    first = verified.first
    account = dict(first.account)
    if lean >= 2:  # tokens the jwt callback would have seen; the account itself is linked
        account = {k: account[k] for k in ("provider", "type", "providerAccountId") if k in account}
    carried: dict[str, Any] = _plain(
        {
            "user": first.user,
            "account": account,
            "profile": None if lean else first.profile,
            "event_profile": None if lean else first.event_profile,
            "denied_status": first.denied_status,
            "verified_user": verified.user,
            "stored": verified.stored,
            "is_new_user": verified.is_new_user,
        }
    )
    return carried


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
    return purpose_digest(ctx.options.secrets[0], TWO_FACTOR_PENDING, jti)


async def start(
    ctx: RequestContext, verified: Verified, subject: str, method: str
) -> Cookie | None:
    """Store the single-use id and make the cookie; ``None`` when it cannot be carried."""
    config = ctx.options.two_factor
    adapter = verified.store or ctx.options.adapter
    assert config is not None  # noqa: S101
    assert adapter is not None  # noqa: S101
    jti = secrets.token_urlsafe(24)
    expires = ctx.now + config.pending_max_age
    sealer = Sealer(ctx.options.secrets, PURPOSE)
    sealed = None
    for lean in range(3):
        data = {
            "sub": subject,
            "in": _carried(verified, lean),
            "m": method,
            "cb": ctx.callback_url,
            "jti": jti,
            "exp": expires,
        }
        try:
            sealed = sealer.seal(data)
        except (TypeError, ValueError):  # something in the user mapping is not JSON
            return None
        if len(sealed) <= MAX_COOKIE:
            break
    if sealed is None or len(sealed) > MAX_COOKIE:
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
            sign_in=dict(data["in"]),
            method=str(data["m"]),
            callback_url=str(data["cb"]),
            jti=str(data["jti"]),
            expires=float(data["exp"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return pending if pending.expires > ctx.now else None


async def use(ctx: RequestContext, pending: Pending, tx: Adapter | None = None) -> bool:
    """Consume the pending sign-in: ``True`` once. Raises when storage fails.

    ``tx``: the transaction to consume it in (default: the configured adapter).
    """
    adapter = tx if tx is not None else ctx.options.adapter
    assert adapter is not None  # noqa: S101
    used = await adapter.use_verification_token(
        _identifier(pending.subject), _digest(ctx, pending.jti)
    )
    return used is not None


def clear(ctx: RequestContext) -> Cookie:
    """The instruction that deletes the cookie."""
    return spec(ctx).delete()
