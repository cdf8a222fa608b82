"""Spotify (OAuth 2.0).

Endpoints: https://developer.spotify.com/documentation/web-api/tutorials/code-flow ; profile:
``GET https://api.spotify.com/v1/me``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import OAuth, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["Spotify"]

_STYLE = ProviderStyle(logo="/spotify.svg", bg="#000", text="#1db954")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    images = profile.get("images") or []
    first = images[0] if images and isinstance(images[0], dict) else {}
    return present(
        id=str(profile["id"]),
        name=pick(profile, "display_name"),
        email=pick(profile, "email"),
        image=pick(first, "url"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Spotify(OAuth):
    """Spotify (OAuth 2.0)."""

    id: str = "spotify"
    name: str = "Spotify"
    authorization: str | None = "https://accounts.spotify.com/authorize"
    token: str | None = "https://accounts.spotify.com/api/token"
    userinfo: str | None = "https://api.spotify.com/v1/me"
    scope: str | None = "user-read-email"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
