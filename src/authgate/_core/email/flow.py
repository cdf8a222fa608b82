"""E-mail sign-in: ``POST /signin/:id`` sends the link, ``/callback/:id`` uses it (v4 ``email/``).

SECURITY.md, decision 10 (stricter than v4): the token is stored **before** the mail is sent and
removed if sending fails (v4 does both at once, so a failed send could leave a usable token);
it lives ``Email.max_age`` (10 minutes by default); it is single use and bound to its address,
and used up in the transaction that stores the user and the session (a sign-in that fails to
store them, say in a database outage, leaves the link usable);
``HEAD`` never reaches this code (it is a 400 like every HEAD). With ``Email(confirm=True)``
the link shows a page whose CSRF-protected POST signs in, so a scanner that follows links
cannot use the token up.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from authgate._core import pages, sign_in_check, throttle
from authgate._core.accounts import address_verified
from authgate._core.body import text_field
from authgate._core.email.normalize import check_custom, normalize_email
from authgate._core.redirects import csrf_refused, to_error
from authgate._core.sign_in_flow import FirstFactor, complete_sign_in
from authgate._crypto.keys import EMAIL_TOKEN, purpose_digest
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.providers.email import VerificationRequest

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter, VerificationToken
    from authgate.providers.email import Email

logger = logging.getLogger("authgate")

TOKEN_BYTES = 32  # 256 bits (the issue asks for at least 128)
MIN_CUSTOM_TOKEN_LENGTH = 22  # 128 bits of base64url
MAX_TOKEN_LENGTH = 512


def hashed(ctx: RequestContext, provider: Email, token: str) -> str:
    """What is stored, never the token itself: its HMAC under the secret's e-mail-token key."""
    return purpose_digest(provider.secret or ctx.options.secrets[0], EMAIL_TOKEN, token)


def _normalize(provider: Email, raw: str) -> str:
    if provider.normalize_identifier is None:
        return normalize_email(raw)
    return check_custom(provider.normalize_identifier(raw))


def _new_token(provider: Email) -> str:
    if provider.generate_verification_token is None:
        import secrets

        return secrets.token_urlsafe(TOKEN_BYTES)
    token = provider.generate_verification_token()
    if not isinstance(token, str) or not (MIN_CUSTOM_TOKEN_LENGTH <= len(token) <= 256):
        raise ValueError("generate_verification_token must return 22-256 characters")
    return token


async def start(ctx: RequestContext, provider: Email) -> AuthResponse:
    """``POST /signin/:id`` (CSRF already checked): store a token, then mail the link."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    raw = text_field(ctx.body, "email")
    if not raw:
        return to_error(ctx.url, ErrorCode.EmailSignin)
    try:
        email = _normalize(provider, raw)
    except Exception as exc:  # noqa: BLE001 - an invalid address or a failing normaliser
        logger.info("SIGNIN_EMAIL_ERROR: address refused (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.EmailSignin)

    # Counted before any mail is sent (SECURITY.md, decision 13): no mail bombing of one address.
    attempt = await throttle.admit(ctx, {}, identifier=email)
    if isinstance(attempt, AuthResponse):
        return attempt

    try:
        stored = await adapter.get_user_by_email(email)
    except Exception as exc:  # noqa: BLE001
        logger.error("SIGNIN_EMAIL_ERROR: the adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.EmailSignin)
    user = _link_user(stored, email)
    account = {
        "providerAccountId": email,
        "userId": email,
        "type": "email",
        "provider": provider.id,
    }
    refused = await sign_in_check.check_sign_in(
        ctx, user=user, account=account, email={"verificationRequest": True}
    )
    if refused is not None:
        return refused

    try:
        token = _new_token(provider)
    except Exception:
        logger.exception("SIGNIN_EMAIL_ERROR: generate_verification_token failed")
        return to_error(ctx.url, ErrorCode.EmailSignin)
    expires = datetime.fromtimestamp(ctx.now, UTC) + timedelta(seconds=provider.max_age)
    digest = hashed(ctx, provider, token)
    try:
        await adapter.create_verification_token(
            {"identifier": email, "token": digest, "expires": expires}
        )
    except Exception as exc:  # noqa: BLE001
        logger.error("SIGNIN_EMAIL_ERROR: storing the token failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.EmailSignin)

    query = urlencode({"callbackUrl": ctx.callback_url, "token": token, "email": email})
    request = VerificationRequest(
        identifier=email,
        url=f"{ctx.url}/callback/{provider.id}?{query}",
        expires=expires,
        provider=provider,
        theme=ctx.options.theme,
        locale=ctx.language.code,
    )
    try:
        await provider.sender(request)
    except Exception as exc:  # noqa: BLE001 - SMTP down, timeout, a rejected recipient
        logger.error("SIGNIN_EMAIL_ERROR: sending failed (%s)", type(exc).__name__)
        await _discard(adapter, email, digest)
        return to_error(ctx.url, ErrorCode.EmailSignin)
    return AuthResponse.to(f"{ctx.url}/verify-request?provider={provider.id}&type=email")


async def _discard(adapter: Adapter, email: str, digest: str) -> None:
    # The link never left: its token must not stay usable.
    try:
        await adapter.use_verification_token(email, digest)
    except Exception as exc:  # noqa: BLE001 - nothing more to do; it expires on its own
        logger.error(
            "SIGNIN_EMAIL_ERROR: removing the unsent token failed (%s)", type(exc).__name__
        )


async def callback(ctx: RequestContext, provider: Email) -> AuthResponse:
    """``GET /callback/:id?token=&email=`` (the link) or the confirmation page's ``POST``."""
    source: dict[str, Any] = ctx.body if ctx.request.method == "POST" else dict(ctx.request.query)
    token = text_field(source, "token")
    email = text_field(source, "email")
    if ctx.request.method == "POST" and not ctx.csrf.verified:
        return csrf_refused(ctx.url)
    if not token:
        return to_error(
            ctx.url, ErrorCode.ConfigurationPage
        )  # v4: lowercase, the 500 "Server error" page
    if not email or len(token) > MAX_TOKEN_LENGTH:
        return to_error(ctx.url, ErrorCode.Verification)
    if provider.confirm and ctx.request.method == "GET":
        return pages.render_email_confirm(
            theme=ctx.options.theme,
            url=ctx.url,
            provider_id=provider.id,
            csrf_token=ctx.csrf.token,
            token=token,
            email=email,
            lang=ctx.language,
        )
    return await _use(ctx, provider, token, email)


async def _use(ctx: RequestContext, provider: Email, token: str, email: str) -> AuthResponse:
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101
    digest = hashed(ctx, provider, token)
    now = datetime.fromtimestamp(ctx.now, UTC)
    try:
        invite = await _look_up(adapter, email, digest)
    except Exception as exc:  # noqa: BLE001
        logger.error("CALLBACK_EMAIL_ERROR: the adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.Callback)
    if invite is None or invite["expires"] <= now:
        return to_error(ctx.url, ErrorCode.Verification)
    try:
        stored = await adapter.get_user_by_email(invite["identifier"])
    except Exception as exc:  # noqa: BLE001
        logger.error("CALLBACK_EMAIL_ERROR: the adapter failed (%s)", type(exc).__name__)
        return to_error(ctx.url, ErrorCode.Callback)

    async def claim(tx: Adapter) -> bool:
        used = await tx.use_verification_token(email, digest)
        return used is not None and used["expires"] > now

    user = _link_user(stored, email)
    account = {"providerAccountId": email, "type": "email", "provider": provider.id}
    return await complete_sign_in(ctx, FirstFactor(user=user, account=account, claim=claim))


class _LookedUp(Exception):  # noqa: N818 - not an error: it carries the answer out
    """Raised to roll back the transaction that looked the token up."""

    def __init__(self, invite: VerificationToken | None) -> None:
        self.invite = invite


async def _look_up(adapter: Adapter, email: str, digest: str) -> VerificationToken | None:
    """The link's stored token, left unused: it is used in a transaction rolled back here.

    The sign-in's own transaction uses it for good (``FirstFactor.claim``), together with the
    user and the session, so a sign-in that cannot store them leaves the link usable.
    """
    try:
        async with adapter.transaction() as tx:
            raise _LookedUp(await tx.use_verification_token(email, digest))
    except _LookedUp as looked_up:
        return looked_up.invite


def _link_user(stored: Mapping[str, Any] | None, email: str) -> dict[str, Any]:
    """The user a link is for (v4): the stored one, or a new one keyed by the address.

    A stored user that never proved the address is not it (SECURITY.md, decision 9, see
    :mod:`authgate._core.accounts`): the link will take the address from it.
    """
    if stored is not None and address_verified(stored):
        return dict(stored)
    return {"id": email, "email": email, "emailVerified": None}


def provider_of(ctx: RequestContext) -> Email | None:
    """The request's provider when it is an e-mail one."""
    provider = ctx.options.providers.get(ctx.provider_id or "")
    return provider if getattr(provider, "type", None) == "email" else None  # type: ignore[return-value]
