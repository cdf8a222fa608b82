"""The two-factor step of a sign-in, and checking an answer against a user's factors.

:func:`challenge` runs once the first factor and the ``sign_in`` callback have passed and before
any session exists: for a user with an enrolled factor it answers with the two-factor page and
the pending cookie instead. :func:`check_answer` is the one place an answer is tried against a
user's factors (a TOTP code, once per time step; or a recovery code, once ever).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authgate._core.events import fire
from authgate._core.redirects import to_error
from authgate._core.two_factor import pending, recovery, totp
from authgate._core.two_factor.signed_in import store
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions

logger = logging.getLogger("authgate")

FIRST_FACTOR_METHODS = {"credentials": "pwd", "email": "email", "oauth": "fed", "oidc": "fed"}


def first_method(account: Mapping[str, Any]) -> str:
    """The ``amr`` value of the first factor (RFC 8176 ``pwd`` for passwords)."""
    return FIRST_FACTOR_METHODS.get(str(account.get("type")), "pwd")


def session_methods(
    options: InternalOptions, account: Mapping[str, Any], methods: list[str] | None
) -> list[str] | None:
    """The ``amr`` a new session carries (with two-factor configured), else ``None``."""
    if options.two_factor is None:
        return None
    return methods if methods is not None else [first_method(account)]


def applies(options: InternalOptions, account: Mapping[str, Any]) -> bool:
    """Whether this kind of first factor asks for the second one."""
    config = options.two_factor
    if config is None:
        return False
    kind = str(account.get("type"))
    return ("oauth" if kind == "oidc" else kind) in config.after


async def _subject(
    ctx: RequestContext, user: Mapping[str, Any], account: Mapping[str, Any], stored: bool
) -> str | None:
    """The id factors are kept under: the stored user's, or ``authorize``'s for JWT credentials."""
    if not stored:
        return None if user.get("id") is None else str(user["id"])
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101
    if account.get("type") == "email":
        email = user.get("email")
        found = await adapter.get_user_by_email(email) if isinstance(email, str) else None
    else:
        found = await adapter.get_user_by_account(
            str(account.get("provider")), str(account.get("providerAccountId"))
        )
    return None if found is None else str(found["id"])


async def challenge(
    ctx: RequestContext, *, user: Mapping[str, Any], account: Mapping[str, Any], stored: bool
) -> AuthResponse | None:
    """``None`` to go on to the session, or the answer that asks for the second factor.

    ``stored``: the user is (or will be) a user of the adapter, found by its account.
    """
    if not applies(ctx.options, account):
        return None
    try:
        subject = await _subject(ctx, user, account, stored)
        record = await store(ctx.options).get_two_factor(subject) if subject else None
        if subject is None or record is None:
            return None
        kept = {k: account[k] for k in ("provider", "type", "providerAccountId") if k in account}
        cookie = await pending.start(
            ctx, subject=subject, user=dict(user), account=kept, method=first_method(account)
        )
    except Exception as exc:  # noqa: BLE001 - fail closed: no session without the check
        logger.error("TWO_FACTOR_ERROR: the adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, "Callback", status=500)
    if cookie is None:
        logger.error("TWO_FACTOR_ERROR: the user does not fit in the pending cookie")
        return to_error(ctx.url, "Configuration", status=500)
    url = f"{ctx.url}/two-factor"
    response = (
        AuthResponse.json({"url": url, "twoFactor": True})
        if ctx.json_mode
        else AuthResponse.to(url)
    )
    response.cookies.append(cookie)
    return response


@dataclass(frozen=True, slots=True)
class Answer:
    """What the user typed: a TOTP code or a recovery code."""

    code: str | None = None
    recovery_code: str | None = None


async def check_answer(ctx: RequestContext, subject: str, answer: Answer) -> str | None:
    """The method the answer proved (``otp``), or ``None`` when it is wrong or was used.

    Raises when storage fails.
    """
    config = ctx.options.two_factor
    assert config is not None  # noqa: S101
    factors = store(ctx.options)
    record = await factors.get_two_factor(subject)
    if record is None:
        return None
    if answer.code:
        secret = totp.open_secret(ctx.options.secrets, record["secret"])
        if secret is None:
            logger.error(
                "TWO_FACTOR_ERROR: a stored secret does not open (was the secret changed?)"
            )
            return None
        step = totp.matching_step(config, secret, answer.code.strip(), ctx.now)
        # The store refuses a step at or before the last one used: no replay within its window.
        if step is not None and await factors.use_totp_step(subject, step):
            return "otp"
        return None
    canonical = recovery.canonical(answer.recovery_code or "")
    if canonical is None:
        return None
    for secret in ctx.options.secrets:  # codes hashed under a rotated-out secret still work
        if await factors.use_recovery_code(subject, recovery.digest(secret, canonical)):
            break
    else:
        return None
    remaining = await factors.count_recovery_codes(subject)
    logger.warning("TWO_FACTOR_RECOVERY_CODE_USED: %d left", remaining)
    await fire(ctx.options, "recovery_code_used", user_id=subject, remaining=remaining)
    return "otp"
