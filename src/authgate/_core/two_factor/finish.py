"""The second factor passed: issue the session the first factor would have, with both methods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate._core.redirects import to_error
from authgate._core.sign_in_flow import FirstFactor, Verified, issue
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.two_factor.pending import Pending
    from authgate.http import AuthResponse


async def finish(ctx: RequestContext, waiting: Pending, method: str) -> AuthResponse:
    """Issue the pending sign-in's session; the callback URL is the one of the first factor.

    A stored user is read again (the cookie carried a copy for the ``jwt`` callback's sake
    only); one deleted in the meantime cannot sign in.
    """
    carried: dict[str, Any] = waiting.sign_in
    user: dict[str, Any] = dict(carried["verified_user"])
    if carried["stored"]:
        adapter = ctx.options.adapter
        assert adapter is not None  # noqa: S101
        found = await adapter.get_user(waiting.subject)
        if found is None:
            return to_error(ctx.url, ErrorCode.Verification)
        user = dict(found)
    first = FirstFactor(
        user=dict(carried["user"]),
        account=dict(carried["account"]),
        profile=carried["profile"],
        event_profile=carried["event_profile"],
        denied_status=int(carried["denied_status"]),
    )
    verified = Verified(
        first=first,
        user=user,
        stored=bool(carried["stored"]),
        is_new_user=carried["is_new_user"],
        methods=[waiting.method, method],
    )
    ctx.callback_url = waiting.callback_url
    return await issue(ctx, verified)
