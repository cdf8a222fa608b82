"""Twitch (OpenID Connect).

Discovery: https://id.twitch.tv/oauth2/.well-known/openid-configuration; see
https://dev.twitch.tv/docs/authentication/getting-tokens-oidc. Email and picture are asked for
with the ``claims`` parameter; Twitch takes the client secret in the body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from authgate.providers.oauth import OIDC, ProfileMapper, ProviderStyle, TokenSet, pick, present

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Twitch"]

_STYLE = ProviderStyle(logo="/twitch.svg", bg="#65459B", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=profile["sub"],
        name=pick(profile, "preferred_username"),
        email=pick(profile, "email"),
        image=pick(profile, "picture"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Twitch(OIDC):
    """Twitch (OpenID Connect)."""

    id: str = "twitch"
    name: str = "Twitch"
    issuer: str | None = "https://id.twitch.tv/oauth2"
    scope: str | None = "openid user:read:email"
    authorization_params: Mapping[str, str] = field(
        default_factory=lambda: {
            "claims": json.dumps(
                {
                    "id_token": {"email": None, "picture": None, "preferred_username": None},
                    "userinfo": {"email": None, "picture": None, "preferred_username": None},
                }
            )
        }
    )
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_post"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
