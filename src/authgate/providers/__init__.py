"""Sign-in providers."""

from __future__ import annotations

from authgate.providers.credentials import Authorize, Credentials
from authgate.providers.oauth import OIDC, OAuth, ProviderStyle

__all__ = ["OIDC", "Authorize", "Credentials", "OAuth", "Provider", "ProviderStyle"]

Provider = Credentials | OAuth
"""Any provider authgate knows."""
