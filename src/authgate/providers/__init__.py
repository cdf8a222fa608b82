"""Sign-in providers."""

from __future__ import annotations

from authgate.providers.credentials import Authorize, Credentials
from authgate.providers.email import Email, SMTPServer, VerificationRequest, console_sender
from authgate.providers.oauth import OIDC, OAuth, ProviderStyle

__all__ = [
    "OIDC",
    "Authorize",
    "Credentials",
    "Email",
    "OAuth",
    "Provider",
    "ProviderStyle",
    "SMTPServer",
    "VerificationRequest",
    "console_sender",
]

Provider = Credentials | OAuth | Email
"""Any provider authgate knows."""
