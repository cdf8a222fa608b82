"""GET|POST /signup: create a password account (``authgate.providers.Password``).

The answer never says whether the address was free: a taken address gets the same redirect
("check your email") after the same work (one argon2id hash, one lookup, one mail), and its
owner is mailed instead of the visitor. Only ``sign_in_after_sign_up`` gives that up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from authgate._core import throttle
from authgate._core.body import text_field
from authgate._core.email.normalize import InvalidEmailError, normalize_email
from authgate._core.outage import storage_failed
from authgate._core.password import forms, links, policy
from authgate._core.password.store import hash_new
from authgate._core.sign_in_flow import FirstFactor, complete_sign_in
from authgate.http import AuthResponse
from authgate.i18n import N_

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import AdapterUser, PasswordStore
    from authgate.providers.password import Password

logger = logging.getLogger("authgate")

MAX_NAME = 255


async def get(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "signup")
    if isinstance(provider, AuthResponse):
        return provider
    if ctx.request.query.get("sent"):
        return forms.show(
            ctx,
            forms.check_email(
                ctx, N_("We sent a link to confirm your address. Open it to finish signing up.")
            ),
        )
    return forms.show(ctx, forms.signup(ctx, provider))


async def post(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, "signup")
    if isinstance(provider, AuthResponse):
        return provider
    raw_email = text_field(ctx.body, "email") or ""
    password = text_field(ctx.body, "password") or ""
    name = (text_field(ctx.body, "name") or "").strip()[:MAX_NAME] or None
    page = forms.signup(ctx, provider, email=raw_email[:254], name=name or "")
    if not raw_email or not password:
        return forms.refuse(ctx, "MissingFields", page)
    try:
        email = normalize_email(raw_email)
    except InvalidEmailError:
        return forms.refuse(ctx, "InvalidEmail", page)
    attempt = await throttle.admit(ctx, {}, identifier=f"signup:{email}")
    if isinstance(attempt, AuthResponse):
        return attempt
    problem = policy.problem_for(provider, password, email)
    if problem is not None:
        return forms.refuse(ctx, problem, page)
    password_hash = await hash_new(ctx, password)  # for a taken address too: the same time
    try:
        created = await _create(ctx, provider, email, name, password_hash)
    except Exception as exc:  # noqa: BLE001 - storage failed: nothing was written
        return storage_failed(ctx, "SIGNUP_ERROR", exc)
    if created is None:
        await links.send(ctx, provider, "account-exists", email, f"{ctx.url}/signin")
    else:
        await links.confirm_address(ctx, provider, email)
        if provider.sign_in_after_sign_up:
            user = dict(created)
            first = FirstFactor(
                user=user, account=links.account_of(provider, user), denied_status=403
            )
            return await complete_sign_in(ctx, first)
    return AuthResponse.to(f"{ctx.url}/signup?sent=1&provider={provider.id}")


async def _create(
    ctx: RequestContext, provider: Password, email: str, name: str | None, password_hash: str
) -> AdapterUser | None:
    """The new user, or ``None`` when the address is taken (or was taken a moment ago).

    Raises when storage fails (one transaction: nothing is left half-written).
    """
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    if await adapter.get_user_by_email(email) is not None:
        return None
    try:
        async with adapter.transaction() as tx:
            user = await tx.create_user({"email": email, "emailVerified": None, "name": name})
            await tx.link_account(links.stored_account(provider, user["id"]))
            await cast("PasswordStore", tx).set_password_hash(user["id"], password_hash)
    except Exception:
        if await adapter.get_user_by_email(email) is not None:
            return None  # a concurrent sign-up won the address
        raise
    return user
