"""Keycloak (OpenID Connect).

``issuer`` is the realm, e.g. ``https://sso.example.com/realms/main`` (or ``AUTH_KEYCLOAK_ISSUER``);
see https://www.keycloak.org/securing-apps/oidc-layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Keycloak"]

_STYLE = ProviderStyle(logo="/keycloak.svg", bg="#fff", text="#000")


@dataclass(frozen=True, slots=True, kw_only=True)
class Keycloak(OIDC):
    """Keycloak (OpenID Connect)."""

    id: str = "keycloak"
    name: str = "Keycloak"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
