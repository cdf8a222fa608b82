"""Server-side ``sign_out`` and session update, as ``POST /signout`` and ``POST /session``.

Called by the application's own code: no CSRF round trip (the server itself asks).

Both run through the same actions as the REST API, so callbacks, events, the database row and
the cookies behave exactly as they do for the browser's requests.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from authgate._core import context
from authgate._core.actions import session, signout
from authgate._core.origin import locate
from authgate._core.routing import Action
from authgate.errors import AuthGateError

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate._core.options import InternalOptions
    from authgate.http import AuthRequest, AuthResponse, Cookie
    from authgate.types import Session


async def _trusted(
    request: AuthRequest,
    options: InternalOptions,
    action: Action,
    body: dict[str, Any],
    now: float | None,
) -> RequestContext:
    location = locate(request, options)
    if location is None:
        raise AuthGateError("the request has an invalid Host header")
    ctx = await context.build(
        request=request,
        options=options,
        action=action,
        provider_id=None,
        location=location,
        body=body,
        now=now,
    )
    ctx.csrf = replace(ctx.csrf, verified=True)
    return ctx


async def sign_out(
    request: AuthRequest, options: InternalOptions, now: float | None = None
) -> list[Cookie]:
    """End the session of ``request``; the cookies that clear it in the browser."""
    ctx = await _trusted(request, options, Action.SIGNOUT, {}, now)
    response = await signout.post(ctx)
    if response.status != 302:  # 503 to /error?error=SignOut: the row may still be alive
        raise AuthGateError("the session could not be ended (the adapter failed; see the log)")
    return response.cookies


async def update(
    request: AuthRequest, options: InternalOptions, data: object, now: float | None = None
) -> tuple[Session | None, list[Cookie]]:
    """Run the ``jwt``/``session`` callbacks with trigger ``"update"``, as ``POST /session``."""
    ctx = await _trusted(request, options, Action.SESSION, {"data": data}, now)
    response: AuthResponse = await session.post(ctx)
    found = json.loads(response.body) if response.body else None
    return (found or None), response.cookies
