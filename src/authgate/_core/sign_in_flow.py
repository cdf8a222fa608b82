"""The sign-in pipeline: one path from "a provider vouched for a user" to "signed in".

Every provider type ends here (credentials, OAuth/OIDC, the e-mail link, passkeys)::

    FirstFactor (the provider's user and account)
      → the sign_in callback                       sign_in_check.check_sign_in
      → who it is: find/create/link (adapter)       adapter_flow.resolve → Verified
      → policy steps (InternalOptions.sign_in_steps, e.g. two-factor)
      → session issued (JWT cookie or database row) issue()
      → events.sign_in → redirect (pages.new_user on a first sign-in)

A policy step is ``async step(ctx, verified) -> AuthResponse | None``: ``None`` lets the
sign-in continue; a response ends it *without a session* (an error redirect, or "not yet:
go to the second-factor page"). A step that defers the session finishes it later with
:func:`issue`, given the same :class:`Verified`. Nothing before the steps writes a session
cookie or row; the account events (``create_user``, ``link_account``, ``update_user``) have
fired by then, because the user and account exist.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authgate._core import adapter_flow
from authgate._core.accounts import account_key
from authgate._core.events import fire
from authgate._core.plain_text import plain_text
from authgate._core.redirects import append_query, to_error
from authgate._core.sign_in_check import check_sign_in, sign_in_cookies
from authgate._core.two_factor.methods import record_methods, session_claims, sign_in_methods
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.accounts import Resolved
    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter, AdapterUser
    from authgate.http import Cookie

__all__ = ["FirstFactor", "SignInStep", "Verified", "complete_sign_in", "issue"]

logger = logging.getLogger("authgate")


@dataclass(slots=True, kw_only=True)
class FirstFactor:
    """What a provider vouched for, as it vouched for it.

    Attributes:
        user: The provider's user (``id``, ``name``, ``email``, ``image``...; absent keys stay
            absent, as v4 leaves ``undefined`` out).
        account: ``provider``, ``type``, ``providerAccountId`` and, for OAuth, the tokens.
        profile: The raw provider profile (OAuth), given to ``sign_in`` and ``jwt``.
        credentials: The submitted form (credentials), given to ``sign_in``.
        event_profile: What ``events.sign_in`` receives as ``profile`` (v4: the mapped user).
        denied_status: The status of a refusal (403 for credentials, as v4's JSON mode says).
        link_to: Link the account to this stored user instead of signing in anew (the
            explicit "link account" action, :mod:`authgate._core.link`; adapter only).
        store_with: More rows for the resolved user, written in the sign-in's transaction
            (a new passkey's ``Authenticator``); adapter only.
        claim: Use up what proved the first factor (an e-mail link's token) in the sign-in's
            transaction, before anything is stored: ``False`` when it is gone (a parallel
            click used it), which answers ``Verification``. A sign-in that fails to store
            leaves it usable; adapter only.
    """

    user: dict[str, Any]
    account: dict[str, Any]
    profile: Mapping[str, Any] | None = None
    credentials: Mapping[str, Any] | None = None
    event_profile: Mapping[str, Any] | None = None
    denied_status: int = 302
    link_to: str | None = None
    store_with: Callable[[Adapter, AdapterUser], Awaitable[None]] | None = None
    claim: Callable[[Adapter], Awaitable[bool]] | None = None

    @property
    def kind(self) -> str:
        """The account type: ``oauth``, ``email`` or ``credentials``."""
        return str(self.account.get("type", ""))


@dataclass(slots=True, kw_only=True)
class Verified:
    """A sign-in every step so far accepted: everything :func:`issue` needs.

    Attributes:
        first: What the provider vouched for.
        user: The stored user (with an adapter) or the provider's user (without).
        stored: Whether the user lives in the adapter (database sessions possible).
        is_new_user: Whether the user was created by this sign-in; ``None`` without an
            adapter (v4 leaves ``isNewUser`` undefined there).
        store: During the policy steps, the adapter bound to the sign-in's transaction (read
            and write through it); ``None`` without an adapter and once the steps are done.
        methods: The sign-in methods proved (``["pwd", "otp"]``) once a second factor passed;
            ``None`` until then.
    """

    first: FirstFactor
    user: dict[str, Any]
    stored: bool
    is_new_user: bool | None
    store: Adapter | None = None
    methods: list[str] | None = None


SignInStep = Callable[["RequestContext", Verified], Awaitable[AuthResponse | None]]
"""A policy step between "user verified" and "session issued" (see the module docstring)."""


def _through_adapter(ctx: RequestContext, account: Mapping[str, Any]) -> bool:
    """With an adapter, OAuth and e-mail users are stored; credentials only when opted in."""
    options = ctx.options
    if options.adapter is None:
        return False
    if account.get("type") != "credentials":
        return True
    provider = options.providers.get(str(account.get("provider")))
    return options.session_strategy == "database" and bool(
        getattr(provider, "database_session", False)
    )


def _unusable_key(ctx: RequestContext, first: FirstFactor, *, stored: bool) -> AuthResponse | None:
    """Refuse an account id that cannot name one account; store a usable one as ``str``.

    Stored sign-ins need one; without an adapter a missing id stays missing (v4: no ``sub``).
    """
    account = first.account
    raw = account.get("providerAccountId")
    if raw is None and not stored:
        account.pop("providerAccountId", None)
        return None
    key = account_key(raw)
    if key is not None:
        if stored:  # the stored key is a string; callbacks otherwise see the id as returned
            account["providerAccountId"] = key
        return None
    logger.error(
        "CALLBACK_%s_ERROR (Configuration): provider %s vouched for a user without a usable "
        "id (%s); an id must be a non-empty string or an integer. Refused, nothing stored",
        first.kind.upper(),
        account.get("provider"),
        "missing" if raw is None else type(raw).__name__,
    )
    return _refused(ctx, first)


def _unstorable_text(ctx: RequestContext, first: FirstFactor) -> AuthResponse | None:
    r"""Refuse a stored sign-in whose user or account holds text no database column holds.

    An identity provider's ``"name": "\u0000"`` or a lone surrogate would otherwise fail
    every write of the sign-in's transaction (retried, then logged as an adapter failure).
    """
    for part, values in (("user", first.user), ("account", first.account)):
        field = next((k for k, v in values.items() if not plain_text(v)), None)
        if field is not None:
            logger.warning(
                "CALLBACK_%s_ERROR: provider %s vouched for a user whose %s field %r holds a "
                "NUL or a lone surrogate, which no database stores. Refused, nothing stored",
                first.kind.upper(),
                first.account.get("provider"),
                part,
                field,
            )
            return _refused(ctx, first)
    return None


def _refused(ctx: RequestContext, first: FirstFactor) -> AuthResponse:
    if first.kind == "credentials":
        provider = str(first.account.get("provider"))
        return to_error(ctx.url, ErrorCode.CredentialsSignin, status=401, provider=provider)
    return to_error(ctx.url, ErrorCode.Callback, status=first.denied_status)


async def complete_sign_in(ctx: RequestContext, first: FirstFactor) -> AuthResponse:
    """Run the whole pipeline for ``first`` (see the module docstring)."""
    stored = _through_adapter(ctx, first.account)
    if first.link_to is not None and not stored:  # link.intent refuses this; never sign in
        return to_error(ctx.url, ErrorCode.Signin)
    unusable = _unusable_key(ctx, first, stored=stored) or (
        _unstorable_text(ctx, first) if stored else None
    )
    if unusable is not None:
        return unusable
    shown: Mapping[str, Any] = first.user
    if stored and first.kind != "email":
        known = await adapter_flow.known_user(ctx, first)
        if isinstance(known, AuthResponse):
            return known
        shown = known or first.user  # v4: sign_in sees the stored user of a known account
    refused = await check_sign_in(
        ctx,
        user=shown,
        account=first.account,
        profile=first.profile,
        credentials=first.credentials,
        denied_status=first.denied_status,
    )
    if refused is not None:
        return refused

    if not stored:
        unstored = Verified(first=first, user=first.user, stored=False, is_new_user=None)
        answer = await _steps(ctx, unstored)
        return answer if answer is not None else await issue(ctx, unstored)

    verified: Verified | None = None

    async def steps(resolved: Resolved, tx: Adapter) -> AuthResponse | None:
        nonlocal verified
        verified = Verified(
            first=first,
            user=dict(resolved.user),
            stored=True,
            is_new_user=resolved.is_new_user,
            store=tx,
        )
        return await _steps(ctx, verified)

    outcome = await adapter_flow.run(ctx, first, steps)
    if isinstance(outcome, AuthResponse):
        return outcome
    assert verified is not None  # noqa: S101 - run() called steps before it committed
    verified.store = None
    if outcome.answer is not None:
        return outcome.answer
    return await issue(ctx, verified, session_cookies=outcome.cookies)


async def _steps(ctx: RequestContext, verified: Verified) -> AuthResponse | None:
    for step in ctx.options.sign_in_steps:
        answer = await step(ctx, verified)
        if answer is not None:
            return answer
    return None


async def issue(
    ctx: RequestContext, verified: Verified, *, session_cookies: list[Cookie] | None = None
) -> AuthResponse:
    """Session issued → ``events.sign_in`` → redirect: the end of every sign-in.

    ``session_cookies``: the database session the sign-in's transaction stored already.
    A step that deferred the session calls this without them once the user passed it.
    """
    options = ctx.options
    first = verified.first
    cookies: list[Cookie] = []
    if session_cookies is not None:
        cookies = session_cookies
    elif verified.stored and options.session_strategy == "database":
        if first.link_to is None:  # linking keeps the request's database session (v4)
            opened = await adapter_flow.open_session(ctx, verified.user["id"], first)
            if isinstance(opened, AuthResponse):
                return opened
            cookies = opened
    else:
        issued = await sign_in_cookies(
            ctx,
            user=verified.user,
            account=first.account,
            profile=first.profile,
            is_new_user=verified.is_new_user,
            denied_status=first.denied_status,
            claims=session_claims(options, verified),
        )
        if isinstance(issued, AuthResponse):
            return issued
        cookies = issued
    if verified.stored and options.session_strategy == "database":
        await record_methods(
            ctx, cookies, sign_in_methods(options, first.account, verified.methods)
        )

    await fire(
        options,
        "sign_in",
        user=verified.user,
        account=first.account,
        profile=first.event_profile,
        is_new_user=verified.is_new_user,
    )
    target = ctx.callback_url
    if verified.is_new_user and options.pages.new_user:
        target = append_query(options.pages.new_user, {"callbackUrl": ctx.callback_url})
        if target.startswith("/"):
            target = ctx.origin + target
    response = AuthResponse.to(target)
    response.cookies = cookies
    return response
