"""LinkedIn (Sign In with LinkedIn using OpenID Connect).

Discovery: https://www.linkedin.com/oauth/.well-known/openid-configuration; see
https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2.
Its discovery document (under ``/oauth``) publishes the issuer ``https://www.linkedin.com``, which
is what its id_tokens carry. LinkedIn takes the client secret in the body, rejects PKCE for web
apps and puts no ``nonce`` in its id_tokens, so only ``state`` is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["LinkedIn"]

_STYLE = ProviderStyle(
    logo="/linkedin.svg",
    logo_dark="/linkedin-dark.svg",
    bg="#fff",
    text="#069",
    bg_dark="#069",
    text_dark="#fff",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkedIn(OIDC):
    """LinkedIn (Sign In with LinkedIn using OpenID Connect)."""

    id: str = "linkedin"
    name: str = "LinkedIn"
    issuer: str | None = "https://www.linkedin.com"
    well_known: str | None = "https://www.linkedin.com/oauth/.well-known/openid-configuration"
    scope: str | None = "openid profile email"
    checks: tuple[Literal["state", "pkce", "nonce"], ...] = ("state",)
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_post"
    style: ProviderStyle | None = _STYLE
