"""Sign in with Apple (OpenID Connect, ``response_mode=form_post``).

Apple posts the callback from its own site, so the check cookies need
``CookieOption(same_site="none")`` on https (``AuthConfig(cookies=...)``). ``client_secret`` is
the ES256 JWT you sign with your Apple key (it expires after at most six months). Apple sends no
userinfo: the profile is the id_token. The user's name is never in it: Apple posts it once, on
the first authorization, in the ``user`` form field (``{"name": {"firstName", "lastName"}}``),
which is unsigned and so only used for the name. See
https://developer.apple.com/documentation/sign_in_with_apple/request_an_authorization_to_the_sign_in_with_apple_server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from authgate.providers.oauth import OIDC, ProfileMapper, ProviderStyle, TokenSet, pick, present

__all__ = ["Apple"]

_STYLE = ProviderStyle(logo="/apple.svg", bg="#000", text="#fff")


def _name(user: object) -> str | None:
    try:
        data = json.loads(user) if isinstance(user, str) else None
    except ValueError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, dict):
        return None
    parts = [name.get(k) for k in ("firstName", "lastName")]
    return " ".join(p for p in parts if isinstance(p, str) and p) or None


def _profile(profile: dict[str, Any], tokens: TokenSet) -> dict[str, Any]:
    return present(
        id=profile["sub"],
        name=_name(profile.get("user")),
        email=pick(profile, "email"),
        image=None,  # Apple has no picture (Auth.js: null)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Apple(OIDC):
    """Sign in with Apple (OpenID Connect, ``response_mode=form_post``)."""

    id: str = "apple"
    name: str = "Apple"
    issuer: str | None = "https://appleid.apple.com"
    scope: str | None = "name email"
    response_mode: Literal["query", "form_post"] = "form_post"
    checks: tuple[Literal["state", "pkce", "nonce"], ...] = ("state", "nonce")
    client_auth: Literal["client_secret_basic", "client_secret_post", "none"] = "client_secret_post"
    profile_params: tuple[str, ...] = ("user",)
    style: ProviderStyle | None = _STYLE
    profile: ProfileMapper = _profile
