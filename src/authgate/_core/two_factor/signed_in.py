"""Who is signed in, how (the ``amr`` methods), and adding a method to the session.

JWT sessions carry the methods in the token's ``amr`` claim; database sessions in the
adapter's session-methods table (:meth:`~authgate.adapters.TwoFactorStore.set_session_methods`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from authgate._core import jwt_session, session_reader
from authgate._core.outage import StorageUnavailable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.adapters import Adapter, TwoFactorStore
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

SECOND_FACTORS = frozenset({"otp", "hwk"})  # RFC 8176: a code; a security key


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The request's session: its user id and e-mail, its methods, its database token."""

    subject: str
    email: str | None
    methods: tuple[str, ...]
    token: str | None  # database sessions
    claims: dict[str, Any] | None  # JWT sessions


def store(options: InternalOptions) -> TwoFactorStore:
    """The adapter as a :class:`TwoFactorStore` (checked when the gate was built)."""
    return cast("TwoFactorStore", options.adapter)


def methods_of(claims: Any) -> tuple[str, ...]:
    """The ``amr`` of decoded claims (a list of strings), else none."""
    amr = claims.get("amr") if isinstance(claims, dict) else None
    if not isinstance(amr, list):
        return ()
    return tuple(m for m in amr if isinstance(m, str))


async def current(ctx: RequestContext) -> SignedIn | None:
    """The request's live session, or ``None`` (fails closed; see :func:`read`)."""
    return await read(ctx.options, ctx.cookies.session_token.name, ctx.request.cookies, ctx.now)


async def read(
    options: InternalOptions, name: str, cookies: Mapping[str, str], now: float
) -> SignedIn | None:
    """The live session in cookie ``name``, or ``None`` (fails closed).

    Raises :class:`~authgate._core.outage.StorageUnavailable` when the database or the
    revocation store cannot tell.
    """
    found = await session_reader.read(options, cookies, name, now)
    if found.unavailable:
        raise StorageUnavailable
    if found.stored is not None:
        token = found.token
        user = found.stored[1]
        methods: list[str] | None = None
        if options.two_factor is not None and token is not None:
            try:
                methods = await store(options).get_session_methods(token)
            except Exception as exc:  # noqa: BLE001 - no methods: the factor is asked again
                logger.error(
                    "TWO_FACTOR_SESSION_ERROR: the adapter failed (%s)", type(exc).__name__
                )
        return SignedIn(str(user["id"]), user["email"], tuple(methods or ()), token, None)
    claims = found.claims
    # tfs: whose factors (a Credentials user's id is namespaced, see methods.factor_subject).
    subject = None if claims is None else claims.get("tfs", claims.get("sub"))
    if claims is None or not isinstance(subject, str) or not subject:
        return None
    email = claims.get("email")
    return SignedIn(
        subject, email if isinstance(email, str) else None, methods_of(claims), None, dict(claims)
    )


def has_second_factor(methods: tuple[str, ...] | list[str]) -> bool:
    """Whether the methods include a second factor."""
    return any(m in SECOND_FACTORS for m in methods)


async def add_method(
    ctx: RequestContext, signed: SignedIn, method: str, tx: Adapter | None = None
) -> list[Cookie]:
    """Record that the session proved ``method`` now; the cookies that carry it (JWT).

    ``tx``: the transaction to record it in (default: the configured adapter).
    """
    methods = [*signed.methods, method] if method not in signed.methods else list(signed.methods)
    if signed.token is not None:
        factors = cast("TwoFactorStore", tx) if tx is not None else store(ctx.options)
        await factors.set_session_methods(signed.token, methods)
        return []
    claims = dict(signed.claims or {})
    claims["amr"] = methods
    return jwt_session.issue(ctx, claims, max_age=ctx.options.jwt_max_age)
