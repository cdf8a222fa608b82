"""Slack (Sign in with Slack, OpenID Connect).

Discovery: https://slack.com/.well-known/openid-configuration; see
https://api.slack.com/authentication/sign-in-with-slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from authgate.providers.oauth import OIDC, ProviderStyle

__all__ = ["Slack"]

_STYLE = ProviderStyle(logo="/slack.svg", bg="#fff", text="#000")


@dataclass(frozen=True, slots=True, kw_only=True)
class Slack(OIDC):
    """Slack (Sign in with Slack, OpenID Connect)."""

    id: str = "slack"
    name: str = "Slack"
    issuer: str | None = "https://slack.com"
    scope: str | None = "openid profile email"
    checks: tuple[Literal["state", "pkce", "nonce"], ...] = ("state", "nonce")
    style: ProviderStyle | None = _STYLE
