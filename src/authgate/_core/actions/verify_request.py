"""GET /verify-request: "check your email", or the custom page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import pages
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


async def get(ctx: RequestContext) -> AuthResponse:
    custom = ctx.options.pages.verify_request
    if custom:
        return AuthResponse.to(custom)
    return pages.render_verify_request(
        theme=ctx.options.theme, url=ctx.url, origin=ctx.origin, lang=ctx.language
    )
