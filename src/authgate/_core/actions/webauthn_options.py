"""GET /webauthn-options/:provider: the options of a passkey ceremony (Auth.js's route)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


async def get(ctx: RequestContext) -> AuthResponse:
    provider = ctx.options.providers.get(ctx.provider_id or "")
    if provider is None or provider.type != "webauthn":
        # @auth/core throws InvalidProvider (a 500); it is the client's mistake.
        return AuthResponse.json({"error": "Invalid provider"}, status=400)
    # Imported here: py_webauthn is the optional `passkeys` extra.
    from authgate._core.webauthn import flow

    return await flow.options(ctx, provider)
