"""The sign-in methods a new session carries (``amr``, RFC 8176 values where one fits).

Only with ``AuthConfig(two_factor=...)``: JWT sessions carry them in the token's ``amr`` claim,
database sessions in the adapter (:meth:`~authgate.adapters.TwoFactorStore.set_session_methods`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, cast

from authgate.providers.password import Password

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate._core.sign_in_flow import Verified
    from authgate.adapters import TwoFactorStore
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

# A passkey is "pop" (RFC 8176: proof of possession of a key, hardware or software): synced
# passkeys are not always hardware-bound, and "pop" is no second factor, so a passkey sign-in
# alone never satisfies ``require_two_factor``.
FIRST_FACTOR_METHODS = {
    "credentials": "pwd",
    "email": "email",
    "oauth": "fed",
    "oidc": "fed",
    "webauthn": "pop",
}


def first_method(account: Mapping[str, Any]) -> str:
    """The ``amr`` value of the first factor (RFC 8176 ``pwd`` for passwords)."""
    return FIRST_FACTOR_METHODS.get(str(account.get("type")), "pwd")


def sign_in_methods(
    options: InternalOptions, account: Mapping[str, Any], methods: list[str] | None
) -> list[str] | None:
    """The ``amr`` of a new session (with two-factor configured), else ``None``."""
    if options.two_factor is None:
        return None
    return methods if methods is not None else [first_method(account)]


def factor_subject(options: InternalOptions, verified: Verified) -> str | None:
    """Whose factors apply: the stored user's id, else ``<provider>:<authorize's id>``.

    Credentials users with JWT sessions are not in the adapter; their ids (whatever
    ``authorize`` returns) are namespaced by the provider so they never meet a stored user's.
    Password users are stored users whatever the session strategy.
    """
    user_id = verified.user.get("id")
    if user_id is None:
        return None
    provider = verified.first.account.get("provider")
    stored = verified.stored or isinstance(options.providers.get(str(provider)), Password)
    return str(user_id) if stored else f"{provider}:{user_id}"


def session_claims(options: InternalOptions, verified: Verified) -> dict[str, Any] | None:
    """The claims a JWT session gets with two-factor configured: ``amr`` and ``tfs``."""
    amr = sign_in_methods(options, verified.first.account, verified.methods)
    if amr is None:
        return None
    claims: dict[str, Any] = {"amr": amr}
    subject = factor_subject(options, verified)
    if subject is not None:
        claims["tfs"] = subject
    return claims


async def record_methods(ctx: RequestContext, cookies: list[Cookie], amr: list[str] | None) -> None:
    """Store ``amr`` for the database session the cookies carry.

    After the session's own commit: should it fail, the session has no methods recorded, which
    reads as "no second factor" (``require_two_factor`` asks again), never the other way round.
    """
    if amr is None:
        return
    name = ctx.cookies.session_token.name
    token = next((c.value for c in cookies if c.name == name and c.max_age != 0), None)
    if not token:
        return
    try:
        await cast("TwoFactorStore", ctx.options.adapter).set_session_methods(token, amr)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        logger.error("TWO_FACTOR_SESSION_ERROR: the adapter failed (%s)", type(exc).__name__)
