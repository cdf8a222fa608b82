"""GET|POST /two-factor: the second factor of a sign-in, or a step-up of a live session.

With the pending cookie (a first factor just passed): the right code issues the session, as
the first factor would have; a wrong one asks again. With ``TwoFactor(security_keys=True)`` a
user with a registered WebAuthn credential may post a security key's assertion (``data``, after
``GET /webauthn-options/<passkey>?action=two-factor``) instead of a code. Attempts are
throttled per user and per client like sign-in. Without the pending cookie, a signed-in user
proves the factor for the session they have ("step-up", what ``require_two_factor`` sends them
to); a user who has not enrolled one is sent to enrol.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.outage import StorageUnavailable, storage_failed
from authgate._core.password.forms import refuse, show, signed_out_to_sign_in, unsupported
from authgate._core.redirects import csrf_refused, to_error
from authgate._core.two_factor import finish, forms, pending, security_keys, signed_in
from authgate._core.two_factor.step import Answer, Proof, announce, check_answer
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.pages.accounts import Content
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

HERE = "two-factor"


async def _challenge(ctx: RequestContext, subject: str) -> Content:
    """The page, offering a security key when ``subject`` has one that counts.

    Raises when storage fails.
    """
    provider = security_keys.provider(ctx.options)
    if provider is None or not await security_keys.enrolled(ctx.options, subject):
        return forms.challenge(ctx)
    return forms.challenge(ctx, security_key=provider.id)


async def get(ctx: RequestContext) -> AuthResponse:
    if ctx.options.two_factor is None:
        return unsupported(ctx)
    waiting = pending.read(ctx)
    try:
        if waiting is not None:
            return show(ctx, await _challenge(ctx, waiting.subject))
        current = await signed_in.current(ctx)
        if current is None:
            return signed_out_to_sign_in(ctx, HERE)
        content = await _challenge(ctx, current.subject)
        if (
            content.security_key is None
            and await signed_in.store(ctx.options).get_two_factor(current.subject) is None
        ):
            return AuthResponse.to(f"{ctx.url}/{forms.SETUP}")
    except Exception as exc:  # noqa: BLE001 - fail closed
        return _failed(ctx, exc)
    return show(ctx, content)


def _failed(ctx: RequestContext, exc: BaseException) -> AuthResponse:
    return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)


async def post(ctx: RequestContext) -> AuthResponse:
    if ctx.options.two_factor is None:
        return unsupported(ctx)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, HERE)
    response = await _answer(ctx)
    if text_field(ctx.body, "data"):  # a security key's answer: its challenge is used up
        response.cookies.append(ctx.cookies.webauthn_challenge.delete())
    return response


async def _answer(ctx: RequestContext) -> AuthResponse:
    waiting = pending.read(ctx)
    answer = Answer(
        code=text_field(ctx.body, "code") or None,
        recovery_code=text_field(ctx.body, "recoveryCode") or None,
        security_key=text_field(ctx.body, "data") or None,
        pending_id=waiting.jti if waiting is not None else None,
    )
    try:
        current = None if waiting is not None else await signed_in.current(ctx)
    except StorageUnavailable as exc:
        return _failed(ctx, exc)
    if waiting is None and current is None:
        return to_error(ctx.url, ErrorCode.SessionRequired, status=401)
    subject = waiting.subject if waiting is not None else current.subject  # type: ignore[union-attr]
    if not answer.code and not answer.recovery_code and not answer.security_key:
        return await _refuse(ctx, subject, "MissingFields")
    attempt = await throttle.admit(ctx, {}, identifier=f"two-factor:{subject}")
    if isinstance(attempt, AuthResponse):
        return attempt
    try:
        proved = await _prove(ctx, subject, answer, waiting, current)
    except _PendingUsedError:
        return to_error(ctx.url, ErrorCode.Verification)  # the pending sign-in was used already
    except Exception as exc:  # noqa: BLE001 - fail closed: rolled back, nothing used up
        return _failed(ctx, exc)
    if proved is None:
        return await _refuse(
            ctx, subject, "SecurityKeyRefused" if answer.security_key else "InvalidCode"
        )
    proof, done = proved
    await throttle.settle(ctx, attempt)
    await announce(ctx, subject, proof)
    if isinstance(done, list):  # a step-up: the session's new methods (JWT: its new cookie)
        response = AuthResponse.to(ctx.callback_url)
        response.cookies = done
        return response
    if isinstance(done, AuthResponse):  # the user is gone
        response = done
    else:
        try:
            response = await finish.issue_prepared(ctx, done)
        except Exception as exc:  # noqa: BLE001 - fail closed: no session cookie
            return _failed(ctx, exc)
    response.cookies.insert(0, pending.clear(ctx))
    return response


class _PendingUsedError(Exception):
    """A parallel answer used the pending sign-in first: roll this one's answer back."""


async def _prove(
    ctx: RequestContext,
    subject: str,
    answer: Answer,
    waiting: pending.Pending | None,
    current: signed_in.SignedIn | None,
) -> tuple[Proof, finish.Prepared | AuthResponse | list[Cookie]] | None:
    """Check the answer and store what it proves in one transaction; ``None``: refused.

    The code (or recovery code, or the security key's challenge), the pending sign-in and the
    database session (a step-up: the session's methods) commit together, so a write that
    fails leaves the code usable. A refusal commits what the check used up (a security key's
    challenge is used up whatever follows). Raises when storage fails (all rolled back).
    """
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - TwoFactor needs one
    async with adapter.transaction() as tx:
        proof = await check_answer(ctx, subject, answer, tx)
        if proof is None:
            return None
        if waiting is None:
            assert current is not None  # noqa: S101
            return proof, await signed_in.add_method(ctx, current, proof.method, tx)
        if not await pending.use(ctx, waiting, tx):
            raise _PendingUsedError
        return proof, await finish.prepare(ctx, waiting, proof.method, tx)


async def _refuse(ctx: RequestContext, subject: str, code: str) -> AuthResponse:
    try:
        content = await _challenge(ctx, subject)
    except Exception as exc:  # noqa: BLE001 - fail closed
        return _failed(ctx, exc)
    return refuse(ctx, code, content)
