"""GitHub (OAuth 2.0 app or GitHub App user tokens).

Endpoints: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps.
The profile is ``GET https://api.github.com/user``; when the user keeps their email private it is
read from ``GET /user/emails`` (the primary, verified one), as next-auth does.
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

__all__ = ["GitHub"]

_STYLE = ProviderStyle(logo="/github.svg", bg="#24292f", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=str(profile["id"]),
        name=pick(profile, "name", "login"),
        email=pick(profile, "email"),
        image=pick(profile, "avatar_url"),
    )


async def _userinfo(http: ProviderHTTP, tokens: TokenSet) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {tokens['access_token']}", "user-agent": "authgate"}
    profile = await http.get_json("https://api.github.com/user", headers=headers)
    if not isinstance(profile, dict):
        raise ValueError("GitHub /user is not an object")
    if not profile.get("email"):
        emails = await http.get_json("https://api.github.com/user/emails", headers=headers)
        if isinstance(emails, list):
            primary = next(
                (
                    e
                    for e in emails
                    if isinstance(e, dict) and e.get("primary") and e.get("verified")
                ),
                None,
            )
            if primary is not None:
                profile["email"] = primary.get("email")
                # GitHub marked it verified; the public `/user` address carries no such flag.
                profile["email_verified"] = True
    return profile


@dataclass(frozen=True, slots=True, kw_only=True)
class GitHub(OAuth):
    """GitHub (OAuth 2.0 app or GitHub App user tokens)."""

    id: str = "github"
    name: str = "GitHub"
    authorization: str | None = "https://github.com/login/oauth/authorize"
    token: str | None = "https://github.com/login/oauth/access_token"
    userinfo: str | None = "https://api.github.com/user"
    scope: str | None = "read:user user:email"
    userinfo_request: UserinfoRequest | None = _userinfo
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
