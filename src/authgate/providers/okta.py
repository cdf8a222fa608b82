"""Okta (OpenID Connect).

``issuer`` is your authorization server, e.g. ``https://example.okta.com/oauth2/default`` (or
``AUTH_OKTA_ISSUER``); see https://developer.okta.com/docs/reference/api/oidc/.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Okta"]

_STYLE = ProviderStyle(logo="/okta.svg", bg="#000", text="#fff")


@dataclass(frozen=True, slots=True, kw_only=True)
class Okta(OIDC):
    """Okta (OpenID Connect)."""

    id: str = "okta"
    name: str = "Okta"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
