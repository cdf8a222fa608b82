"""GET|POST /change-password: a signed-in user changes their password (the current one first).

Throttled per user and per client like sign-in; the user's other sessions end, the one of this
request stays: database sessions are deleted, JWT sessions end through the revocation store and
this request's token is re-issued as a new session (:mod:`authgate._core.password.sessions`).
JWT sessions end before the new hash is written: if the store cannot be reached nothing is
changed (``503``); if the write then fails, every session has ended (this one too), never the
other way round. Database sessions end in the transaction that writes the hash: both, or
neither (``503``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, cast

from authgate._core import db_session, throttle
from authgate._core.body import text_field
from authgate._core.link import current_user_id
from authgate._core.outage import StorageUnavailable, storage_failed
from authgate._core.password import forms, policy
from authgate._core.password.sessions import end_jwt_sessions, end_other_sessions, keep_current
from authgate._core.password.store import hash_new, store_of, verify
from authgate._core.redirects import to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse
from authgate.i18n import N_
from authgate.revocation import RevocationUnavailableError

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import PasswordStore

logger = logging.getLogger("authgate")

HERE = "change-password"


async def get(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, HERE)
    if isinstance(provider, AuthResponse):
        return provider
    try:
        signed_out = await current_user_id(ctx) is None
    except StorageUnavailable as exc:
        return storage_failed(ctx, "CHANGE_PASSWORD_ERROR", exc)
    if signed_out:
        return forms.signed_out_to_sign_in(ctx, HERE)
    if ctx.request.query.get("done"):
        what = N_("Your password is changed. Your other sessions have ended.")
        return forms.show(ctx, forms.done(ctx, N_("Password changed"), what))
    return forms.show(ctx, forms.change(ctx, provider))


async def post(ctx: RequestContext) -> AuthResponse:
    provider = forms.provider_or_refusal(ctx, HERE)
    if isinstance(provider, AuthResponse):
        return provider
    try:
        user_id = await current_user_id(ctx)
    except StorageUnavailable as exc:
        return storage_failed(ctx, "CHANGE_PASSWORD_ERROR", exc)
    if user_id is None:
        return to_error(ctx.url, ErrorCode.SessionRequired, status=401)
    page = forms.change(ctx, provider)
    current = text_field(ctx.body, "currentPassword") or ""
    new = text_field(ctx.body, "newPassword") or ""
    if not current or not new:
        return forms.refuse(ctx, "MissingFields", page)
    attempt = await throttle.admit(ctx, {}, identifier=f"change:{user_id}")
    if isinstance(attempt, AuthResponse):
        return attempt
    store = store_of(ctx)
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - the config requires one
    try:
        stored = await store.get_password_hash(user_id)
        user = await adapter.get_user(user_id)
    except Exception as exc:  # noqa: BLE001
        return storage_failed(ctx, "CHANGE_PASSWORD_ERROR", exc)
    matches, _ = await verify(ctx, stored, current)
    if not matches:
        return forms.refuse(ctx, "PasswordMismatch", page)
    problem = policy.problem_for(provider, new, user["email"] if user else None)
    if problem is not None:
        return forms.refuse(ctx, problem, page)
    password_hash = await hash_new(ctx, new)
    try:
        session_id = await end_jwt_sessions(ctx.options, user_id, ctx.now)
    except RevocationUnavailableError:
        logger.error("CHANGE_PASSWORD_ERROR: the revocation store failed; nothing changed")
        return to_error(ctx.url, ErrorCode.Callback, status=503)
    keep = db_session.read_token(ctx.options, ctx.cookies.session_token.name, ctx.request.cookies)
    try:
        async with adapter.transaction() as tx:
            await cast("PasswordStore", tx).set_password_hash(user_id, password_hash)
            await end_other_sessions(tx, user_id, keep=keep)  # raises: both rolled back
    except Exception as exc:  # noqa: BLE001 - one transaction: nothing changed
        return storage_failed(ctx, "CHANGE_PASSWORD_ERROR", exc)
    await throttle.settle(ctx, attempt)
    response = AuthResponse.to(f"{ctx.url}/{HERE}?done=1&provider={provider.id}")
    if session_id is not None:
        response.cookies = keep_current(ctx, session_id)
    return response
