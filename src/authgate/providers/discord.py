"""Discord (OAuth 2.0).

Endpoints: https://discord.com/developers/docs/topics/oauth2 ; profile: ``GET /users/@me``
(https://discord.com/developers/docs/resources/user). Avatars follow the CDN rules (animated
``a_`` hashes are GIFs; no avatar → the default one of the user id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

from authgate.providers.oauth import (
    EmailCheck,
    OAuth,
    ProfileMapper,
    ProviderStyle,
    TokenSet,
    pick,
    present,
)

__all__ = ["Discord"]

_STYLE = ProviderStyle(logo="/discord.svg", bg="#5865F2", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    user_id = str(profile["id"])
    avatar = profile.get("avatar")
    if avatar:
        kind = "gif" if str(avatar).startswith("a_") else "png"
        image = f"https://cdn.discordapp.com/avatars/{user_id}/{avatar}.{kind}"
    elif profile.get("discriminator") in (None, "0"):
        image = f"https://cdn.discordapp.com/embed/avatars/{(int(user_id) >> 22) % 6}.png"
    else:
        image = f"https://cdn.discordapp.com/embed/avatars/{int(profile['discriminator']) % 5}.png"
    return present(
        id=user_id,
        name=pick(profile, "global_name", "username"),
        email=pick(profile, "email"),
        image=image,
    )


def _verified(profile: Mapping[str, Any]) -> bool:
    # Discord's user object: `verified` says whether the e-mail address has been verified.
    return profile.get("verified") is True


@dataclass(frozen=True, slots=True, kw_only=True)
class Discord(OAuth):
    """Discord (OAuth 2.0)."""

    id: str = "discord"
    name: str = "Discord"
    authorization: str | None = "https://discord.com/api/oauth2/authorize"
    token: str | None = "https://discord.com/api/oauth2/token"
    userinfo: str | None = "https://discord.com/api/users/@me"
    scope: str | None = "identify email"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
    is_email_verified: EmailCheck = _verified
