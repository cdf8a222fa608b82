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
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from authgate._core.context import RequestContext
    from authgate.adapters import Adapter, AdapterUser
    from authgate.http import Cookie

logger = logging.getLogger("authgate")

_CREATE_ERRORS = {"oauth": "OAuthCreateAccount", "oidc": "OAuthCreateAccount"}


async def _nothing(_tx: Adapter, _user: AdapterUser) -> None:
    return None


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
    also: Callable[[Adapter, AdapterUser], Awaitable[None]] | None = None,
) -> AuthResponse:
    """Sign in through the adapter (the ``sign_in`` callback first, unless already run).

    ``link_to``: link the account to this user and keep the request's database session.
    ``also``: more writes for the resolved user in the same transaction (a new passkey).
    """
    options = ctx.options
    adapter = options.adapter
    assert adapter is not None  # noqa: S101 - callers check
    kind = str(account.get("type", ""))
    if signed_in_check:
        shown: Mapping[str, Any] = user
        if kind != "email":
            try:  # v4: the sign_in callback sees the stored user when the account is known
                known = await adapter.get_user_by_account(
                    account["provider"], str(account["providerAccountId"])
                )
            except Exception as exc:  # noqa: BLE001
                logger.error("CALLBACK_ERROR: adapter failed (%s)", type(exc).__name__)
                return to_error(ctx.url, "Callback", status=denied_status)
            shown = known or user
        refused = await check_sign_in(
            ctx,
            user=shown,
            account=account,
            profile=profile,
            credentials=credentials,
            denied_status=denied_status,
        )
        if refused is not None:
            return refused

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
            await (also or _nothing)(tx, resolved.user)
            if database and link_to is None:
                _, cookies = await db_session.create(ctx, tx, resolved.user["id"])
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
            ctx, user=stored, account=account, profile=profile, is_new_user=resolved.is_new_user
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
