"""Google (OpenID Connect).

Discovery: https://accounts.google.com/.well-known/openid-configuration
(https://developers.google.com/identity/openid-connect/openid-connect). Add
``authorization_params={"access_type": "offline", "prompt": "consent"}`` for a refresh token.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Google"]

_STYLE = ProviderStyle(logo="/google.svg", bg="#fff", text="#000")


@dataclass(frozen=True, slots=True, kw_only=True)
class Google(OIDC):
    """Google (OpenID Connect)."""

    id: str = "google"
    name: str = "Google"
    issuer: str | None = "https://accounts.google.com"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
