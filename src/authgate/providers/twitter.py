"""X / Twitter (OAuth 2.0 with PKCE; X gives no email address through OAuth 2.0).

Endpoints: https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token ;
profile: ``GET https://api.x.com/2/users/me`` (``{"data": {...}}``). Confidential clients
authenticate with HTTP Basic, as X requires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import OAuth, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["Twitter"]

_STYLE = ProviderStyle(logo="/twitter.svg", bg="#000", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    data = profile.get("data") or {}
    return present(
        id=str(data["id"]),
        name=pick(data, "name"),
        email=None,  # X shares no address
        image=pick(data, "profile_image_url"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Twitter(OAuth):
    """X / Twitter (OAuth 2.0 with PKCE; X gives no email address through OAuth 2.0)."""

    id: str = "twitter"
    name: str = "X"
    authorization: str | None = "https://x.com/i/oauth2/authorize"
    token: str | None = "https://api.x.com/2/oauth2/token"
    userinfo: str | None = "https://api.x.com/2/users/me?user.fields=profile_image_url"
    scope: str | None = "users.read tweet.read offline.access"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
