"""authentik (OpenID Connect).

``issuer`` is the application's, e.g. ``https://auth.example.com/application/o/<slug>/`` (or
``AUTH_AUTHENTIK_ISSUER``); see https://docs.goauthentik.io/docs/add-secure-apps/providers/oauth2/.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Authentik"]

_STYLE = ProviderStyle(logo="/authentik.svg", bg="#fd4b2d", text="#fff")


@dataclass(frozen=True, slots=True, kw_only=True)
class Authentik(OIDC):
    """authentik (OpenID Connect)."""

    id: str = "authentik"
    name: str = "Authentik"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
