"""GET /error[/code]: sign-in errors go back to the sign-in page, the rest to the error page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import pages
from authgate._core.redirects import append_query
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

# next-auth v4 core/index.ts: these codes are shown on the sign-in page, not the error page.
SIGN_IN_CODES = frozenset(
    {
        "Signin",
        "OAuthSignin",
        "OAuthCallback",
        "OAuthCreateAccount",
        "EmailCreateAccount",
        "Callback",
        "OAuthAccountNotLinked",
        "EmailSignin",
        "CredentialsSignin",
        "SessionRequired",
        # authgate: a throttled sign-in (security decision 13) is shown with the form.
        "TooManyRequests",
    }
)


async def get(ctx: RequestContext) -> AuthResponse:
    code = ctx.request.query.get("error") or ctx.provider_id
    if code in SIGN_IN_CODES:
        return AuthResponse.to(f"{ctx.url}/signin?error={code}")
    custom = ctx.options.pages.error
    if custom:
        # v4 interpolates the code raw; it is encoded here (security decision 5).
        return AuthResponse.to(append_query(custom, {"error": code or "Default"}))
    return pages.render_error(theme=ctx.options.theme, url=ctx.url, origin=ctx.origin, error=code)
