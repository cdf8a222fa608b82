"""LinkedIn (Sign In with LinkedIn using OpenID Connect).

Discovery: https://www.linkedin.com/oauth/.well-known/openid-configuration; see
https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2.
LinkedIn takes the client secret in the body and does not support PKCE for web apps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["LinkedIn"]

_STYLE = ProviderStyle(logo="/linkedin.svg", bg="#069", text="#fff")


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedIn(OIDC):
    """LinkedIn (Sign In with LinkedIn using OpenID Connect)."""

    id: str = "linkedin"
    name: str = "LinkedIn"
    issuer: str | None = "https://www.linkedin.com/oauth"
    well_known: str | None = "https://www.linkedin.com/oauth/.well-known/openid-configuration"
    scope: str | None = "openid profile email"
    checks: tuple[Literal["state", "pkce", "nonce"], ...] = ("state", "nonce")
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_post"
    style: ProviderStyle | None = _STYLE
