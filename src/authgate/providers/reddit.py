"""Reddit (OAuth 2.0).

Endpoints: https://github.com/reddit-archive/reddit/wiki/OAuth2 ; profile:
``GET https://oauth.reddit.com/api/v1/me``. Reddit gives no email address and does not support
PKCE; the token request uses HTTP Basic. Reddit throttles generic user agents, so every call sends
``User-Agent: web:authgate:v1``; set ``request_headers={"user-agent": "<platform>:<app ID>:<version>
(by /u/<you>)"}`` as Reddit asks (https://github.com/reddit-archive/reddit/wiki/API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from authgate.providers.oauth import (
    ABSENT,
    OAuth,
    ProfileMapper,
    ProviderStyle,
    TokenSet,
    pick,
    present,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["Reddit"]

_STYLE = ProviderStyle(logo="/reddit.svg", bg="#000", text="#fff")
USER_AGENT = "web:authgate:v1"


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    icon = profile.get("icon_img") or profile.get("snoovatar_img")
    return present(
        id=str(profile["id"]),
        name=pick(profile, "name"),
        email=None,  # Reddit shares no address
        image=icon.split("?", 1)[0] if isinstance(icon, str) and icon else ABSENT,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Reddit(OAuth):
    """Reddit (OAuth 2.0)."""

    id: str = "reddit"
    name: str = "Reddit"
    authorization: str | None = "https://www.reddit.com/api/v1/authorize"
    token: str | None = "https://www.reddit.com/api/v1/access_token"
    userinfo: str | None = "https://oauth.reddit.com/api/v1/me"
    scope: str | None = "identity"
    checks: tuple[Literal["state", "pkce", "nonce"], ...] = ("state",)
    request_headers: Mapping[str, str] = field(default_factory=lambda: {"user-agent": USER_AGENT})
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
