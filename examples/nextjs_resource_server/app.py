"""The API: ``/api/me`` needs a session, ``/api/hello`` greets anyone, ``/health`` is open."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI

from authgate.integrations.fastapi import optional_token_dependency, token_dependency
from authgate.resource import NextAuthSession

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.config import Profile


def create_app(
    *,
    secret: str | list[str] | None = None,
    profile: Profile | None = None,
    env: Mapping[str, str] | None = None,
) -> FastAPI:
    """Build the API. ``secret`` / ``profile`` default to ``AUTH_SECRET`` / ``NEXTAUTH_PROFILE``."""
    env = os.environ if env is None else env
    chosen: Any = profile or env.get("NEXTAUTH_PROFILE", "nextauth-v4")
    reader = NextAuthSession(secret=secret, profile=chosen, env=env)
    session_claims = token_dependency(reader)
    maybe_claims = optional_token_dependency(reader)

    app = FastAPI(title="Next.js resource server")
    # Depends(...) as defaults: the annotations are strings (PEP 563), and the dependencies
    # are local to this factory, where FastAPI could not resolve them from an Annotated[].

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/me")
    def me(claims: dict[str, Any] = Depends(session_claims)) -> dict[str, Any]:  # noqa: B008
        return {
            "id": claims.get("sub"),
            "name": claims.get("name"),
            "email": claims.get("email"),
            "expires": claims.get("exp"),
        }

    @app.get("/api/hello")
    def hello(claims: dict[str, Any] | None = Depends(maybe_claims)) -> dict[str, str]:  # noqa: B008
        name = (claims or {}).get("name") or "stranger"
        return {"message": f"Hello, {name}!"}

    return app
