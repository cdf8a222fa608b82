"""The engine: ``handle(request, options)`` routes an :class:`AuthRequest` to an action.

Rules (see README.md here): no web framework imports, no module-level mutable state, I/O only
through what ``options`` carries.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core import audit, context
from authgate._core import body as body_parser
from authgate._core.actions import DISPATCH, WITHOUT_INIT_COOKIES
from authgate._core.loop_needed import needs_loop
from authgate._core.origin import cross_site, locate
from authgate._core.redirects import reroute
from authgate._core.routing import Action, NotOursError, parse
from authgate._core.telemetry import SIGN_IN_ACTIONS
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.options import InternalOptions
    from authgate.http import AuthRequest

__all__ = ["handle"]

logger = logging.getLogger("authgate")


LOOP_FREE = frozenset({Action.SESSION, Action.CSRF, Action.PROVIDERS})
"""Routes that may finish without an event loop (the sync bridge's caller thread): what they
may await that needs one awaits ``needs_loop()`` first (callbacks, adapters, stores). Every
other route asks for the loop before it starts."""


def not_supported(method: str) -> AuthResponse:
    # next-auth v4's exact answer to an unknown action or method (a plain-text 400).
    return AuthResponse.text(
        f"Error: This action with HTTP {method} is not supported by NextAuth.js", status=400
    )


def not_found() -> AuthResponse:
    return AuthResponse.text("Not Found", status=404)


def _form_post(action: Action | None, provider_id: str | None, options: InternalOptions) -> bool:
    """Whether this is an OAuth callback, which a provider's page may post cross-site.

    ``response_mode=form_post``: the state/PKCE/nonce checks protect it instead (as in v4's
    ``core/routes/callback.ts``).
    """
    provider = options.providers.get(provider_id or "") if action is Action.CALLBACK else None
    return provider is not None and provider.type == "oauth"


async def handle(
    request: AuthRequest, options: InternalOptions, *, now: float | None = None
) -> AuthResponse:
    """Answer one request to the auth API."""
    try:
        action, provider_id = parse(request.path, options.base_path)
    except NotOursError:
        return not_found()
    method = request.method if request.method.isalpha() and len(request.method) <= 16 else "?"
    handler = DISPATCH.get((method, action)) if action is not None else None
    segment_actions = options.profile.provider_id_actions
    if (
        handler is None
        or (action is Action.CALLBACK and provider_id not in options.providers)
        or (
            provider_id is not None
            and segment_actions is not None
            and action not in segment_actions
        )
    ):
        # An unknown provider falls through to v4's plain 400, before any cookie is minted;
        # so does a second path segment the profile refuses (v5: `GET /error/<code>`).
        return not_supported(method)
    location = locate(request, options)
    if location is None:
        return AuthResponse.text("Bad Request: invalid Host header", status=400)
    if (
        method == "POST"
        and cross_site(request, location)
        and not _form_post(action, provider_id, options)
    ):
        return AuthResponse.text("Forbidden: cross-site request refused", status=403)
    try:
        parsed = (
            body_parser.parse(request.body, request.headers.get("content-type"))
            if method == "POST"
            else {}
        )
    except body_parser.BodyError as exc:
        return AuthResponse.text(f"Bad Request: {exc}", status=exc.status)

    assert action is not None  # noqa: S101 - narrowed by the DISPATCH lookup
    if action not in LOOP_FREE:
        await needs_loop()
    ctx = await context.build(
        request=request,
        options=options,
        action=action,
        provider_id=provider_id,
        location=location,
        body=parsed,
        now=now,
    )
    telemetry = options.telemetry
    if (
        telemetry is not None
        and action in SIGN_IN_ACTIONS
        and (method == "POST" or action is Action.CALLBACK)
    ):
        async with telemetry.sign_in_span(ctx) as span:
            answer = await handler(ctx)
            telemetry.sign_in(ctx, answer, span)
    else:
        answer = await handler(ctx)
    audit.record(ctx, answer)
    response = reroute(ctx, answer)
    if action not in WITHOUT_INIT_COOKIES:
        response.cookies[:0] = ctx.init_cookies
    if response.redirect is not None:
        if ctx.json_mode:
            kept = response.status != 302 and options.profile.keep_status_in_json
            # A throttled sign-in is 429 + Retry-After in either profile (SECURITY.md, decision 13).
            status = response.status if kept or response.status == 429 else 200
            converted = AuthResponse.json({"url": response.redirect}, status=status)
            converted.headers += [h for h in response.headers if h[0].lower() == "retry-after"]
            converted.cookies = response.cookies
            return converted
        response.status = 302
    return response
