"""GitLab (OAuth 2.0); for a self-managed instance, override the three endpoints.

Endpoints: https://docs.gitlab.com/api/oauth2/ ; profile: ``GET /api/v4/user``
(https://docs.gitlab.com/api/users/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authgate.providers.oauth import OAuth, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["GitLab"]

_STYLE = ProviderStyle(logo="/gitlab.svg", bg="#FC6D26", text="#fff")


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=str(profile["id"]),
        name=pick(profile, "name", "username"),
        email=pick(profile, "email"),
        image=pick(profile, "avatar_url"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class GitLab(OAuth):
    """GitLab (OAuth 2.0); for a self-managed instance, override the three endpoints."""

    id: str = "gitlab"
    name: str = "GitLab"
    authorization: str | None = "https://gitlab.com/oauth/authorize"
    token: str | None = "https://gitlab.com/oauth/token"
    userinfo: str | None = "https://gitlab.com/api/v4/user"
    scope: str | None = "read_user"
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
