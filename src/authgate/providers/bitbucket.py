"""Bitbucket Cloud (OAuth 2.0).

Endpoints: https://developer.atlassian.com/cloud/bitbucket/oauth-2/ ; profile:
``GET https://api.bitbucket.org/2.0/user`` and the primary confirmed address of
``/2.0/user/emails`` (scopes ``account email``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import (
    OAuth,
    ProfileMapper,
    ProviderHTTP,
    ProviderStyle,
    TokenSet,
    UserinfoRequest,
    pick,
    present,
)

__all__ = ["Bitbucket"]

_STYLE = ProviderStyle(logo="/bitbucket.svg", bg="#205081", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    links = profile.get("links") or {}
    avatar = links.get("avatar") if isinstance(links, dict) else None
    return present(
        id=profile["uuid"],
        name=pick(profile, "display_name", "nickname"),
        email=pick(profile, "email"),
        image=pick(avatar, "href"),
    )


async def _userinfo(http: ProviderHTTP, tokens: TokenSet) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    profile = await http.get_json("https://api.bitbucket.org/2.0/user", headers=headers)
    if not isinstance(profile, dict):
        raise ValueError("Bitbucket /2.0/user is not an object")
    emails = await http.get_json("https://api.bitbucket.org/2.0/user/emails", headers=headers)
    values = emails.get("values") if isinstance(emails, dict) else None
    for entry in values if isinstance(values, list) else []:
        if isinstance(entry, dict) and entry.get("is_primary") and entry.get("is_confirmed"):
            profile["email"] = entry.get("email")
    return profile


@dataclass(frozen=True, slots=True, kw_only=True)
class Bitbucket(OAuth):
    """Bitbucket Cloud (OAuth 2.0)."""

    id: str = "bitbucket"
    name: str = "Bitbucket"
    authorization: str | None = "https://bitbucket.org/site/oauth2/authorize"
    token: str | None = "https://bitbucket.org/site/oauth2/access_token"
    userinfo: str | None = "https://api.bitbucket.org/2.0/user"
    scope: str | None = "account email"
    userinfo_request: UserinfoRequest | None = _userinfo
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
