"""GET /error[/code]: v4 sends sign-in errors back to the sign-in page, the rest to the error page.

Which codes go back to the sign-in page, and whether the page's keys are case-sensitive, is the
wire profile's (Auth.js v5 forwards none: its errors redirect straight to their page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import pages
from authgate._core.profiles import V4_SIGN_IN_PAGE_ERRORS
from authgate._core.redirects import append_query
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

# next-auth v4 core/index.ts: these codes are shown on the sign-in page, not the error page.
SIGN_IN_CODES = V4_SIGN_IN_PAGE_ERRORS


async def get(ctx: RequestContext) -> AuthResponse:
    profile = ctx.options.profile
    code = ctx.request.query.get("error") or ctx.provider_id
    if code in profile.error_page_forwards:
        return AuthResponse.to(f"{ctx.url}/signin?error={code}")
    custom = ctx.options.pages.error
    if custom:
        # v4 interpolates the code raw; it is encoded here (SECURITY.md, decision 5).
        return AuthResponse.to(append_query(custom, {"error": code or "Default"}))
    return pages.render_error(
        theme=ctx.options.theme,
        url=ctx.url,
        origin=ctx.origin,
        error=code,
        case_sensitive=profile.error_page_case_sensitive,
        lang=ctx.language,
    )
