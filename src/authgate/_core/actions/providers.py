"""GET /providers: the public list of providers, keyed by id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext


def provider_map(url: str, providers: object) -> dict[str, dict[str, str]]:
    return {
        p.id: {
            "id": p.id,
            "name": p.name,
            "type": p.type,
            "signinUrl": f"{url}/signin/{p.id}",
            "callbackUrl": f"{url}/callback/{p.id}",
        }
        for p in providers.values()  # type: ignore[attr-defined]
    }


async def get(ctx: RequestContext) -> AuthResponse:
    return AuthResponse.json(provider_map(ctx.url, ctx.options.providers))
