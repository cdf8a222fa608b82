"""Auth0 (OpenID Connect).

``issuer`` is your tenant, e.g. ``https://example.us.auth0.com/`` (or ``AUTH_AUTH0_ISSUER``);
endpoints come from its discovery document (https://auth0.com/docs/authenticate/protocols/openid-connect-protocol).
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Auth0"]

_STYLE = ProviderStyle(logo="/auth0.svg", bg="#EB5424", text="#fff")


@dataclass(frozen=True, slots=True, kw_only=True)
class Auth0(OIDC):
    """Auth0 (OpenID Connect)."""

    id: str = "auth0"
    name: str = "Auth0"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
