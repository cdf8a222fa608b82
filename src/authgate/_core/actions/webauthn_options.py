"""GET /webauthn-options/:provider: the options of a passkey ceremony (Auth.js's route).

Throttled per client IP (``RateLimit(webauthn_options_per_ip)``, SECURITY.md decision 19):
every answer stores a challenge row, so a flood must not fill the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core import throttle
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


async def get(ctx: RequestContext) -> AuthResponse:
    provider = ctx.options.providers.get(ctx.provider_id or "")
    if provider is None or provider.type != "webauthn":
        # @auth/core throws InvalidProvider (a 500); it is the client's mistake.
        return AuthResponse.json({"error": "Invalid provider"}, status=400)
    retry_after = await throttle.admit_webauthn_options(ctx)
    if retry_after is not None:
        response = AuthResponse.json({"error": "Too many requests"}, status=429, no_store=True)
        response.headers.append(("retry-after", str(retry_after)))
        return response
    # Imported here: py_webauthn is the optional `passkeys` extra.
    from authgate._core.webauthn import flow

    return await flow.options(ctx, provider)
