"""Facebook Login (OAuth 2.0).

Endpoints: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow ;
profile: ``GET https://graph.facebook.com/me?fields=id,name,email,picture``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from authgate.providers.oauth import OAuth, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["Facebook"]

_STYLE = ProviderStyle(logo="/facebook.svg", bg="#006aff", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    picture = profile.get("picture")
    data = picture.get("data") if isinstance(picture, dict) else None
    return present(
        id=str(profile["id"]),
        name=pick(profile, "name"),
        email=pick(profile, "email"),
        image=pick(data, "url"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Facebook(OAuth):
    """Facebook Login (OAuth 2.0)."""

    id: str = "facebook"
    name: str = "Facebook"
    authorization: str | None = "https://www.facebook.com/v19.0/dialog/oauth"
    token: str | None = "https://graph.facebook.com/oauth/access_token"
    userinfo: str | None = "https://graph.facebook.com/me?fields=id,name,email,picture"
    scope: str | None = "email"
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_post"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
