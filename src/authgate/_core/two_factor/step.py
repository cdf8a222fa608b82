"""The two-factor step of a sign-in, and checking an answer against a user's factors.

:func:`step` is a policy step of the sign-in pipeline (``InternalOptions.sign_in_steps``): it
runs once the first factor and the ``sign_in`` callback have passed and before any session
exists; for a user with an enrolled factor it answers with the two-factor page and the pending
cookie instead. :func:`check_answer` is the one place an answer is tried against a
user's factors (a TOTP code, once per time step; a recovery code, once ever; or a security
key's assertion, :mod:`authgate._core.webauthn.second_factor`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from authgate._core.events import fire
from authgate._core.outage import storage_failed
from authgate._core.redirects import to_error
from authgate._core.two_factor import pending, recovery, security_keys, totp
from authgate._core.two_factor.methods import factor_subject, first_method
from authgate._core.two_factor.signed_in import store
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate._core.sign_in_flow import Verified
    from authgate.adapters import Adapter, TwoFactorStore

logger = logging.getLogger("authgate")


def applies(options: InternalOptions, account: Mapping[str, Any]) -> bool:
    """Whether this kind of first factor asks for the second one."""
    config = options.two_factor
    if config is None:
        return False
    kind = str(account.get("type"))
    return ("oauth" if kind == "oidc" else kind) in config.after


async def step(ctx: RequestContext, verified: Verified) -> AuthResponse | None:
    """The pipeline's two-factor step: ``None`` to issue the session, or "not yet".

    The user is the stored one (its id) or, for Credentials with JWT sessions, the one
    ``authorize`` returned (its ``id``). Fails closed: a storage error is an error, never a
    session without the check.
    """
    first = verified.first
    if (
        verified.methods is not None
        or first.link_to is not None
        or not applies(ctx.options, first.account)
    ):
        return None
    subject = factor_subject(ctx.options, verified)
    if subject is None:
        return None
    factors = verified.store or ctx.options.adapter
    try:
        record = await cast("TwoFactorStore", factors).get_two_factor(str(subject))
        if record is None and not await security_keys.enrolled(ctx.options, subject, factors):
            return None
        cookie = await pending.start(ctx, verified, str(subject), first_method(first.account))
    except Exception as exc:  # noqa: BLE001 - fail closed: no session without the check
        return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)
    if cookie is None:
        logger.error("TWO_FACTOR_ERROR: the sign-in does not fit in the pending cookie")
        return to_error(ctx.url, ErrorCode.Configuration, status=500)
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
    """What the user sent: a TOTP code, a recovery code, or a security key's assertion."""

    code: str | None = None
    recovery_code: str | None = None
    security_key: str | None = None  # the assertion JSON (TwoFactor(security_keys=True))
    pending_id: str | None = None  # the pending sign-in the key's challenge must be bound to


@dataclass(frozen=True, slots=True)
class Proof:
    """What an answer proved, announced by :func:`announce` once its transaction committed.

    ``method``: ``otp`` or ``hwk``; ``recovery_codes_left``: after a recovery code, how many
    the user has left.
    """

    method: str
    recovery_codes_left: int | None = None


async def check_answer(
    ctx: RequestContext, subject: str, answer: Answer, tx: Adapter | None = None
) -> Proof | None:
    """What the answer proved, or ``None`` when it is wrong or was used.

    ``tx``: the transaction to use the code (or the security key's challenge) up in, so the
    caller's later writes commit with it or roll it back (default: the configured adapter).
    Raises when storage fails.
    """
    config = ctx.options.two_factor
    assert config is not None  # noqa: S101
    if answer.security_key is not None:
        if security_keys.provider(ctx.options) is None:
            return None
        from authgate._core.webauthn import second_factor  # py_webauthn: the passkeys extra

        method = await second_factor.check(ctx, subject, answer.pending_id, answer.security_key, tx)
        return None if method is None else Proof(method)
    factors = cast("TwoFactorStore", tx) if tx is not None else store(ctx.options)
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
            return Proof("otp")
        return None
    canonical = recovery.canonical(answer.recovery_code or "")
    if canonical is None:
        return None
    for secret in ctx.options.secrets:  # codes hashed under a rotated-out secret still work
        if await factors.use_recovery_code(subject, recovery.digest(secret, canonical)):
            break
    else:
        return None
    return Proof("otp", await factors.count_recovery_codes(subject))


async def announce(ctx: RequestContext, subject: str, proof: Proof) -> None:
    """Log and fire ``recovery_code_used`` for a proof by recovery code (after the commit)."""
    if proof.recovery_codes_left is None:
        return
    logger.warning("TWO_FACTOR_RECOVERY_CODE_USED: %d left", proof.recovery_codes_left)
    await fire(
        ctx.options, "recovery_code_used", user_id=subject, remaining=proof.recovery_codes_left
    )
