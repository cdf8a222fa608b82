"""authgate: authentication for Python web apps, the NextAuth.js way."""

from __future__ import annotations

from authgate.config import (
    AuthConfig,
    Callbacks,
    CookieOption,
    Events,
    JWTConfig,
    PagesConfig,
    SessionConfig,
    Theme,
)
from authgate.errors import (
    AccessDeniedError,
    AuthGateError,
    ConfigurationError,
    CredentialsSigninError,
    SignInError,
)
from authgate.gate import AuthGate, CsrfToken
from authgate.http import AuthRequest, AuthResponse, Cookie
from authgate.two_factor import TwoFactor
from authgate.types import JWT, Account, Session, User

__version__ = "0.1.0"

__all__ = [
    "JWT",
    "AccessDeniedError",
    "Account",
    "AuthConfig",
    "AuthGate",
    "AuthGateError",
    "AuthRequest",
    "AuthResponse",
    "Callbacks",
    "ConfigurationError",
    "Cookie",
    "CookieOption",
    "CredentialsSigninError",
    "CsrfToken",
    "Events",
    "JWTConfig",
    "PagesConfig",
    "Session",
    "SessionConfig",
    "SignInError",
    "Theme",
    "TwoFactor",
    "User",
    "__version__",
]
