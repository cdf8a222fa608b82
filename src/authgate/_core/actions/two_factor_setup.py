"""GET|POST /two-factor-setup: enrol TOTP, make new recovery codes, or turn two-factor off.

Signed-in users only. Enrolment: the page shows a new secret (QR code and text) which travels
sealed in a cookie of its own (10 minutes, bound to the user) until a valid code proves the app
has it; only then is it stored, encrypted, with fresh recovery codes, shown once. The session
counts as having proved the factor. Making new codes and turning it off need a fresh code:
one from the app (``code``) or an unused recovery code (``recoveryCode``), throttled like the
sign-in step.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.events import fire
from authgate._core.outage import StorageUnavailable, storage_failed
from authgate._core.password.forms import refuse, show, signed_out_to_sign_in, unsupported
from authgate._core.redirects import csrf_refused, to_error
from authgate._core.two_factor import forms, recovery, signed_in, totp
from authgate._core.two_factor.step import Answer, announce, check_answer
from authgate._crypto.sealed import Sealer
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.cookies import CookieSpec
    from authgate._core.pages.accounts import Content
    from authgate._core.two_factor.signed_in import SignedIn
    from authgate.adapters import TwoFactorStore
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

ENROL_PURPOSE = "two-factor enrolment"
ENROL_MAX_AGE = 600


def _enrol_spec(ctx: RequestContext) -> CookieSpec:
    session = ctx.cookies.session_token
    prefix = "__Secure-" if session.secure else ""
    name = f"{prefix}{ctx.options.profile.cookie_prefix}.two-factor-setup"
    return dataclasses.replace(session, name=name, max_age=ENROL_MAX_AGE)


def _enrolment(ctx: RequestContext, subject: str) -> str | None:
    """The secret being enrolled by ``subject`` (from its sealed cookie), if any."""
    raw = ctx.request.cookies.get(_enrol_spec(ctx).name)
    data = Sealer(ctx.options.secrets, ENROL_PURPOSE).open(raw) if raw else None
    if data is None or data.get("sub") != subject or not isinstance(data.get("exp"), float):
        return None
    secret = data.get("s")
    return secret if isinstance(secret, str) and data["exp"] > ctx.now else None


async def get(ctx: RequestContext) -> AuthResponse:
    config = ctx.options.two_factor
    if config is None:
        return unsupported(ctx)
    try:
        current = await signed_in.current(ctx)
    except StorageUnavailable as exc:
        return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)
    if current is None:
        return signed_out_to_sign_in(ctx, forms.SETUP)
    factors = signed_in.store(ctx.options)
    try:
        enrolled = await factors.get_two_factor(current.subject)
        remaining = await factors.count_recovery_codes(current.subject) if enrolled else 0
    except Exception as exc:  # noqa: BLE001 - fail closed
        return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)
    if enrolled:
        return show(ctx, forms.settings(ctx, remaining, remaining <= config.low_recovery_codes))
    secret = totp.new_secret()
    sealed = Sealer(ctx.options.secrets, ENROL_PURPOSE).seal(
        {"sub": current.subject, "s": secret, "exp": float(ctx.now + ENROL_MAX_AGE)}
    )
    response = show(ctx, _enrol_page(ctx, current, secret))
    response.cookies.append(_enrol_spec(ctx).make(sealed))
    return response


async def post(ctx: RequestContext) -> AuthResponse:
    config = ctx.options.two_factor
    if config is None:
        return unsupported(ctx)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url, forms.SETUP)
    try:
        current = await signed_in.current(ctx)
    except StorageUnavailable as exc:
        return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)
    if current is None:
        return to_error(ctx.url, ErrorCode.SessionRequired, status=401)
    code = (text_field(ctx.body, "code") or "").replace(" ", "")
    recovery_code = text_field(ctx.body, "recoveryCode") or ""
    op = text_field(ctx.body, "op")
    if op not in ("enable", "regenerate", "disable"):
        return refuse(ctx, "MissingFields", forms.challenge(ctx))
    answer = Answer(code=code or None, recovery_code=recovery_code or None)
    attempt = await throttle.admit(ctx, {}, identifier=f"two-factor:{current.subject}")
    if isinstance(attempt, AuthResponse):
        return attempt
    try:
        if op == "enable":
            response = await _enable(ctx, current, code)
        else:
            response = await _change(ctx, current, op, answer)
    except Exception as exc:  # noqa: BLE001 - nothing half-written: each is one write
        return storage_failed(ctx, "TWO_FACTOR_ERROR", exc)
    if response.status < 400:
        await throttle.settle(ctx, attempt)
    return response


def _codes_page(ctx: RequestContext, codes: list[str], cookies: list[Cookie]) -> AuthResponse:
    if ctx.json_mode:
        response = AuthResponse.json({"recoveryCodes": codes})
        response.headers.append(("cache-control", "no-store"))
    else:
        response = show(ctx, forms.codes(ctx, codes))
    response.cookies = cookies
    return response


async def _enable(ctx: RequestContext, current: SignedIn, code: str) -> AuthResponse:
    config = ctx.options.two_factor
    assert config is not None  # noqa: S101
    secret = _enrolment(ctx, current.subject)
    if secret is None:  # expired, another user's, or never started: start again
        return AuthResponse.to(f"{ctx.url}/{forms.SETUP}")
    step = totp.matching_step(config, secret, code, ctx.now)
    if step is None:
        return refuse(ctx, "InvalidCode", _enrol_page(ctx, current, secret))
    codes = recovery.new_codes(config.recovery_codes)
    await signed_in.store(ctx.options).enable_two_factor(
        {
            "userId": current.subject,
            "secret": totp.seal_secret(ctx.options.secrets, secret),
            "lastStep": step,  # the code that enrolled cannot sign in again
            "createdAt": datetime.fromtimestamp(ctx.now, UTC),
        },
        recovery.digests(ctx.options.secrets[0], codes),
    )
    await fire(ctx.options, "two_factor_enabled", user_id=current.subject)
    cookies = [_enrol_spec(ctx).delete(), *await signed_in.add_method(ctx, current, "otp")]
    return _codes_page(ctx, codes, cookies)


def _enrol_page(ctx: RequestContext, current: SignedIn, secret: str) -> Content:
    config = ctx.options.two_factor
    assert config is not None  # noqa: S101
    issuer = config.issuer or urlsplit(ctx.origin).netloc
    uri = totp.provisioning_uri(config, secret, current.email or current.subject, issuer)
    return forms.enrol(ctx, svg=totp.qr_svg(uri), secret=totp.group(secret))


async def _change(ctx: RequestContext, current: SignedIn, op: str, answer: Answer) -> AuthResponse:
    """New recovery codes or two-factor off: a fresh TOTP code or an unused recovery code.

    The recovery code is used up (``recovery_code_used``) even when it only proves the
    regeneration that replaces it; the code's use and the change commit together.
    """
    config = ctx.options.two_factor
    assert config is not None  # noqa: S101
    factors = signed_in.store(ctx.options)
    if await factors.get_two_factor(current.subject) is None:
        return AuthResponse.to(f"{ctx.url}/{forms.SETUP}")
    codes = [] if op == "disable" else recovery.new_codes(config.recovery_codes)
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - TwoFactor needs one
    async with adapter.transaction() as tx:
        proof = await check_answer(ctx, current.subject, answer, tx)
        changed = cast("TwoFactorStore", tx)
        if proof is not None and op == "disable":
            await changed.disable_two_factor(current.subject)
        elif proof is not None:
            digests = recovery.digests(ctx.options.secrets[0], codes)
            await changed.replace_recovery_codes(current.subject, digests)
    if proof is None:
        remaining = await factors.count_recovery_codes(current.subject)
        page = forms.settings(ctx, remaining, remaining <= config.low_recovery_codes)
        return refuse(ctx, "InvalidCode", page)
    await announce(ctx, current.subject, proof)
    if op == "disable":
        await fire(ctx.options, "two_factor_disabled", user_id=current.subject)
        return AuthResponse.to(f"{ctx.url}/{forms.SETUP}")
    return _codes_page(ctx, codes, [])
