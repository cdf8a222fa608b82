"""Microsoft Entra ID (Azure AD), OpenID Connect on the v2.0 endpoint.

``issuer`` is ``https://login.microsoftonline.com/<tenant id>/v2.0`` (default: the multi-tenant
``common`` endpoint, whose id_tokens are checked against their own ``tid``); see
https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc. ``email`` is the
``email`` claim only. Auth.js also fetches the Graph profile photo as a data URL; authgate leaves
``image`` empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import OIDC, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["MicrosoftEntraID"]

_STYLE = ProviderStyle(logo="/microsoft-entra-id.svg", bg="#0072c6", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=profile["sub"],
        name=pick(profile, "name"),
        # Not preferred_username: Microsoft documents it as mutable and not always an address.
        email=pick(profile, "email"),
        image=None,  # no Graph photo download (Auth.js: a data URL, or null)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class MicrosoftEntraID(OIDC):
    """Microsoft Entra ID (Azure AD), OpenID Connect on the v2.0 endpoint."""

    id: str = "microsoft-entra-id"
    name: str = "Microsoft Entra ID"
    issuer: str | None = "https://login.microsoftonline.com/common/v2.0"
    scope: str | None = "openid profile email User.Read"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
