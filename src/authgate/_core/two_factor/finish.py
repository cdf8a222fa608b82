"""The second factor passed: issue the session the first factor would have, with both methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core.sign_in_flow import complete_sign_in

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.two_factor.pending import Pending
    from authgate.http import AuthResponse


async def finish(ctx: RequestContext, waiting: Pending, method: str) -> AuthResponse:
    """Sign in as the pending sign-in says; the callback URL is the one of the first factor."""
    ctx.callback_url = waiting.callback_url
    return await complete_sign_in(
        ctx,
        user=dict(waiting.user),
        account=dict(waiting.account),
        denied_status=403,
        methods=[waiting.method, method],
    )
