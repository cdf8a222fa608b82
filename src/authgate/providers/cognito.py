"""Amazon Cognito user pools (OpenID Connect).

``issuer`` is ``https://cognito-idp.<region>.amazonaws.com/<user pool id>`` (or
``AUTH_COGNITO_ISSUER``); see
https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-oidc-flow.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import OIDC, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["Cognito"]

_STYLE = ProviderStyle(logo="/cognito.svg", bg="#fff", text="#C17B9E")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=profile["sub"],
        name=pick(profile, "name", "cognito:username", "username"),
        email=pick(profile, "email"),
        image=pick(profile, "picture"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Cognito(OIDC):
    """Amazon Cognito user pools (OpenID Connect)."""

    id: str = "cognito"
    name: str = "Cognito"
    scope: str | None = "openid email profile"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
