"""Sign-in providers."""

from __future__ import annotations

from authgate.providers.credentials import Authorize, Credentials

__all__ = ["Authorize", "Credentials", "Provider"]

Provider = Credentials
"""Any provider authgate knows (a union as more provider types land)."""
