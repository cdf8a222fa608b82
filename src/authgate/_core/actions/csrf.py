"""GET /csrf: the token a form must echo (its signed twin travels in the cookie)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


async def get(ctx: RequestContext) -> AuthResponse:
    return AuthResponse.json({"csrfToken": ctx.csrf.token}, no_store=True)
