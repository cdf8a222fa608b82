"""What happens once a provider has vouched for a user: one path for every provider type.

``complete_sign_in`` runs the ``sign_in`` callback, writes the session (the ``jwt`` callback and
the session cookie), fires ``events.sign_in`` and redirects to the callback URL. The credentials
and OAuth callbacks call it after their own checks; the adapter work extends it (account
linking, user creation, database sessions) without touching the provider flows.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from authgate._core import adapter_flow
from authgate._core.events import fire
from authgate._core.redirects import to_error
from authgate._core.sign_in_check import check_sign_in, sign_in_cookies
from authgate._core.two_factor import step as two_factor
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate")


def _through_adapter(ctx: RequestContext, account: Mapping[str, Any]) -> bool:
    """With an adapter, OAuth users are stored; credentials only with ``database_session``."""
    options = ctx.options
    if options.adapter is None:
        return False
    if account.get("type") != "credentials":
        return True
    provider = options.providers.get(str(account.get("provider")))
    return options.session_strategy == "database" and bool(
        getattr(provider, "database_session", False)
    )


async def complete_sign_in(
    ctx: RequestContext,
    *,
    user: dict[str, Any],
    account: dict[str, Any],
    profile: Mapping[str, Any] | None = None,
    credentials: Mapping[str, Any] | None = None,
    event_profile: Mapping[str, Any] | None = None,
    denied_status: int = 302,
    link_to: str | None = None,
    methods: list[str] | None = None,
) -> AuthResponse:
    """Sign ``user`` in: ``sign_in`` callback → session → ``events.sign_in`` → redirect.

    Args:
        ctx: The request.
        user: The user the provider vouched for (``id``, ``name``, ``email``, ``image``...).
        account: ``provider``, ``type``, ``providerAccountId`` and, for OAuth, the tokens.
        profile: The raw provider profile (OAuth), given to ``sign_in`` and ``jwt``.
        credentials: The submitted form (credentials), given to ``sign_in``.
        event_profile: What ``events.sign_in`` receives as ``profile`` (v4: the mapped user).
        denied_status: The status of the ``AccessDenied`` redirect (403 for credentials, as
            v4's JSON mode reports it).
        link_to: Link the account to this stored user instead of signing in anew (the
            explicit "link account" action, :mod:`authgate._core.link`; adapter only).
        methods: The sign-in methods already proved (``["pwd", "otp"]``): the second factor
            passed, so the ``sign_in`` callback and the two-factor step ran before.
    """
    options = ctx.options
    if _through_adapter(ctx, account):
        provider = options.providers.get(str(account.get("provider")))
        return await adapter_flow.complete(
            ctx,
            user=user,
            account=account,
            profile=profile,
            credentials=credentials,
            event_profile=event_profile,
            allow_email_linking=bool(
                getattr(provider, "allow_dangerous_email_account_linking", False)
            ),
            denied_status=denied_status,
            link_to=link_to,
            methods=methods,
        )
    if link_to is not None:  # link.intent refuses without an adapter; never sign in instead
        return to_error(ctx.url, "Signin")
    if methods is None:
        refused = await check_sign_in(
            ctx,
            user=user,
            account=account,
            profile=profile,
            credentials=credentials,
            denied_status=denied_status,
        ) or await two_factor.challenge(ctx, user=user, account=account, stored=False)
        if refused is not None:
            return refused

    issued = await sign_in_cookies(
        ctx,
        user=user,
        account=account,
        profile=profile,
        denied_status=denied_status,
        amr=two_factor.session_methods(ctx.options, account, methods),
    )
    if isinstance(issued, AuthResponse):
        return issued
    await fire(
        options, "sign_in", user=user, account=account, profile=event_profile, is_new_user=False
    )
    response = AuthResponse.to(ctx.callback_url)
    response.cookies = issued
    return response
