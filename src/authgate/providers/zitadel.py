"""ZITADEL (OpenID Connect).

``issuer`` is your instance, e.g. ``https://example-abc.zitadel.cloud`` (or
``AUTH_ZITADEL_ISSUER``); see https://zitadel.com/docs/apis/openidoauth/endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Zitadel"]

_STYLE = ProviderStyle(logo="/zitadel.svg", bg="#000", text="#fff")


@dataclass(frozen=True, slots=True, kw_only=True)
class Zitadel(OIDC):
    """ZITADEL (OpenID Connect)."""

    id: str = "zitadel"
    name: str = "ZITADEL"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
