"""The engine's hook into the sign-in limiter (SECURITY.md, decision 13).

``admit`` runs before a credential is checked (credentials now; e-mail sign-in calls it with the
address): it counts the attempt or answers ``TooManyRequests``. ``settle`` reports a success.
The limiter and its counters come from ``options``; nothing is kept here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate._core.redirects import to_error
from authgate.ratelimit import THROTTLED_CODE
from authgate.ratelimit._limiter import Attempt, Throttled

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse


def throttled(ctx: RequestContext, retry_after: int) -> AuthResponse:
    """``{url}/error?error=TooManyRequests``; 429 with ``Retry-After`` in JSON mode.

    The same answer whether or not the account exists.
    """
    response = to_error(ctx.url, THROTTLED_CODE, status=429)
    response.headers.append(("retry-after", str(retry_after)))
    return response


async def admit(
    ctx: RequestContext, fields: Mapping[str, Any], *, identifier: str | None = None
) -> Attempt | AuthResponse | None:
    """Count this attempt; an :class:`AuthResponse` means it is throttled (answer with it).

    ``identifier`` overrides the one read from ``fields`` (e.g. an e-mail sign-in's address).
    """
    limiter = ctx.options.limiter
    if limiter is None:
        return None
    result = await limiter.acquire(
        identifiers=(identifier,) if identifier is not None else limiter.identifiers(fields),
        client=limiter.client_ip(ctx.request),
        now=ctx.now,
    )
    if isinstance(result, Throttled):
        return throttled(ctx, result.retry_after)
    return result


async def settle(ctx: RequestContext, attempt: Attempt | None) -> None:
    """The credential was right: reset the identifier's count, refund the IP's attempt."""
    limiter = ctx.options.limiter
    if limiter is not None and attempt is not None:
        await limiter.succeeded(attempt)


async def admit_webauthn_options(ctx: RequestContext) -> int | None:
    """Count a ``webauthn-options`` request of the client IP; ``Retry-After`` when throttled."""
    limiter = ctx.options.limiter
    if limiter is None:
        return None
    result = await limiter.acquire_client(
        "webauthn-options",
        limiter.config.webauthn_options_per_ip,
        client=limiter.client_ip(ctx.request),
        now=ctx.now,
    )
    return None if result is None else result.retry_after
