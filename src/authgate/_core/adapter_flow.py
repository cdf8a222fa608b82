"""Finishing a sign-in when an adapter is configured (e-mail, OAuth, opt-in credentials).

``sign_in`` callback → one transaction (find/create the user and link the account, see
:mod:`authgate._core.accounts`; open the database session) → the ``jwt`` callback for JWT
sessions → events (``create_user``, ``update_user``, ``link_account`` only once the
transaction committed, then ``sign_in``) → ``pages.new_user`` on a first sign-in, else the
callback URL. A failure anywhere in the transaction leaves no user, account or session.

With ``link_to`` (the explicit "link account" action, :mod:`authgate._core.link`) the account
is linked to that user and the database session of the request is kept, as v4 keeps it when
it links; JWT sessions are re-issued through the ``jwt`` callback, as in v4.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core import db_session
from authgate._core.accounts import AccountNotLinkedError, CreateUserError, resolve
from authgate._core.events import fire
from authgate._core.redirects import append_query, to_error
from authgate._core.sign_in_check import check_sign_in, sign_in_cookies
from authgate._core.two_factor import step as two_factor
from authgate._core.two_factor.signed_in import store
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

_CREATE_ERRORS = {"oauth": "OAuthCreateAccount", "oidc": "OAuthCreateAccount"}


async def _check(
    ctx: RequestContext,
    user: Mapping[str, Any],
    account: Mapping[str, Any],
    profile: Mapping[str, Any] | None,
    credentials: Mapping[str, Any] | None,
    denied_status: int,
) -> AuthResponse | None:
    """The ``sign_in`` callback, shown the stored user when the account is known (v4)."""
    adapter = ctx.options.adapter
    assert adapter is not None  # noqa: S101 - callers check
    shown: Mapping[str, Any] = user
    if str(account.get("type", "")) != "email":
        try:
            known = await adapter.get_user_by_account(
                account["provider"], str(account["providerAccountId"])
            )
        except Exception as exc:  # noqa: BLE001
            logger.error("CALLBACK_ERROR: adapter failed (%s)", type(exc).__name__)
            return to_error(ctx.url, "Callback", status=denied_status)
        shown = known or user
    return await check_sign_in(
        ctx,
        user=shown,
        account=account,
        profile=profile,
        credentials=credentials,
        denied_status=denied_status,
    )


async def complete(
    ctx: RequestContext,
    *,
    user: Mapping[str, Any],
    account: Mapping[str, Any],
    profile: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    event_profile: Mapping[str, Any] | None = None,
    allow_email_linking: bool = False,
    link_to: str | None = None,
    signed_in_check: bool = True,
    denied_status: int = 302,
    methods: list[str] | None = None,
) -> AuthResponse:
    """Sign in through the adapter (the ``sign_in`` callback first, unless already run).

    ``link_to``: link the account to this user and keep the request's database session.
    ``methods``: the second factor passed (the checks before the session ran already).
    """
    options = ctx.options
    adapter = options.adapter
    assert adapter is not None  # noqa: S101 - callers check
    kind = str(account.get("type", ""))
    if methods is None:  # with methods, the second factor passed: these ran before it
        refused = (
            await _check(ctx, user, account, profile, credentials, denied_status)
            if signed_in_check
            else None
        )
        if refused is None and link_to is None:
            refused = await two_factor.challenge(ctx, user=user, account=account, stored=True)
        if refused is not None:
            return refused

    amr = two_factor.session_methods(options, account, methods)
    cookies: list[Cookie] = []
    database = options.session_strategy == "database"
    try:
        async with adapter.transaction() as tx:
            resolved = await resolve(
                tx,
                user=user,
                account=account,
                profile=profile,
                allow_email_linking=allow_email_linking,
                link_to=link_to,
                now=ctx.now,
            )
            if database and link_to is None:
                session, cookies = await db_session.create(ctx, tx, resolved.user["id"])
                if amr is not None:
                    await store(options).set_session_methods(session["sessionToken"], amr)
    except AccountNotLinkedError:
        return to_error(ctx.url, "OAuthAccountNotLinked", status=denied_status)
    except CreateUserError as exc:
        logger.error("CREATE_USER_ERROR: the adapter failed (%s)", exc)
        code = "EmailCreateAccount" if kind == "email" else _CREATE_ERRORS.get(kind, "Callback")
        return to_error(ctx.url, code, status=denied_status)
    except Exception as exc:
        logger.error(
            "CALLBACK_%s_ERROR: the adapter failed (%s)",
            kind.upper(),
            type(exc).__name__,
            exc_info=exc,
        )
        return to_error(ctx.url, "Callback", status=denied_status)

    stored: dict[str, Any] = dict(resolved.user)
    if not database:
        issued = await sign_in_cookies(
            ctx,
            user=stored,
            account=account,
            profile=profile,
            is_new_user=resolved.is_new_user,
            amr=amr,
        )
        if isinstance(issued, AuthResponse):
            return issued
        cookies = issued

    for name, params in resolved.events:
        await fire(options, name, **params)
    await fire(
        options,
        "sign_in",
        user=stored,
        account=dict(account),
        profile=event_profile,
        is_new_user=resolved.is_new_user,
    )
    target = ctx.callback_url
    if resolved.is_new_user and options.pages.new_user:
        target = append_query(options.pages.new_user, {"callbackUrl": ctx.callback_url})
        if target.startswith("/"):
            target = ctx.origin + target
    response = AuthResponse.to(target)
    response.cookies = cookies
    return response
