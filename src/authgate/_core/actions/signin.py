"""GET /signin (the page, or the custom page) and POST /signin/:provider (start a sign-in)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import link, pages
from authgate._core.email import flow as email_flow
from authgate._core.oauth import flow as oauth_flow
from authgate._core.redirects import append_query, csrf_refused, safe_code, to_error
from authgate.errors import ErrorCode
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


def listed(provider: object) -> bool:
    kind = getattr(provider, "type", None)
    if kind == "credentials":
        return bool(getattr(provider, "credentials", None))
    return kind in ("oauth", "email", "webauthn")


async def get(ctx: RequestContext) -> AuthResponse:
    if ctx.provider_id is not None and not ctx.options.profile.sign_in_page_by_provider:
        # @auth/core pages/index.ts: `if (providerId) throw new UnknownAction(...)`.
        return to_error(ctx.url, ErrorCode.Configuration, error_type=ErrorCode.UnknownAction)
    query = ctx.request.query
    error = query.get("error")
    custom = ctx.options.pages.sign_in
    if custom:
        params = {"callbackUrl": ctx.callback_url}
        if error:
            params["error"] = safe_code(error)
        return AuthResponse.to(append_query(custom, params))
    # SECURITY.md, decision 4: only callbackUrl (resolved), error (allow-listed when rendered) and
    # email (escaped) are read from the query.
    return pages.render_signin(
        theme=ctx.options.theme,
        url=ctx.url,
        providers=[p for p in ctx.options.providers.values() if listed(p)],
        csrf_token=ctx.csrf.token,
        callback_url=ctx.callback_url,
        error=error,
        email=query.get("email"),
        messages=pages.signin_messages(ctx.options.profile.sign_in_message_renames),
        lang=ctx.language,
    )


async def post(ctx: RequestContext) -> AuthResponse:
    profile = ctx.options.profile
    provider = ctx.options.providers.get(ctx.provider_id or "")
    if provider is None and ctx.provider_id is not None and profile.unknown_provider_error:
        # @auth/core: init() throws for an unknown provider id before the CSRF check.
        return to_error(ctx.url, ErrorCode.Configuration)
    if not ctx.csrf.verified:
        return csrf_refused(ctx.url)
    if provider is None:  # v4 quirk Q4 (`?csrf=true`); v5 plain `/signin`
        return AuthResponse.to(f"{ctx.url}/{profile.sign_in_without_provider}")
    if link.requested(ctx):  # "link account" (SECURITY.md, decision 9): OAuth, signed in
        intent = await link.intent(ctx, provider)
        if isinstance(intent, AuthResponse):
            return intent
        return await oauth_flow.start(ctx, provider, link_to=intent)  # type: ignore[arg-type]
    email = email_flow.provider_of(ctx)
    if email is not None:
        return await email_flow.start(ctx, email)
    if provider.type == "oauth":
        return await oauth_flow.start(ctx, provider)
    # Credentials sign in through POST /callback/:id; anything else starts at the sign-in page.
    return AuthResponse.to(f"{ctx.url}/signin")
