"""The errors authgate raises, each carrying the code it shows on the wire.

::

    AuthGateError                    base; never shown to end users verbatim
    ├── ConfigurationError           invalid configuration, raised when AuthGate is built
    │   └── MissingSecretError       no secret in production
    ├── SignInError                  client-safe; ``code`` goes into ``?error=``
    │   ├── CredentialsSigninError   code "CredentialsSignin" (authorize returned nothing)
    │   ├── CallbackError            code "Callback"
    │   └── AccessDeniedError        code "AccessDenied" (the sign_in callback said no)
    └── TokenError                   a token that does not decode, verify or fit; means "no session"

Codes are next-auth v4's, so custom pages written for NextAuth work unchanged.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDeniedError",
    "AuthGateError",
    "CallbackError",
    "ConfigurationError",
    "CredentialsSigninError",
    "MissingSecretError",
    "SignInError",
    "TokenError",
]


class AuthGateError(Exception):
    """Base class of every error authgate raises."""


class ConfigurationError(AuthGateError, ValueError):
    """The configuration is invalid; the message says what to fix."""


class MissingSecretError(ConfigurationError):
    """No secret was configured where one is required."""


class SignInError(AuthGateError):
    """A sign-in failed for a reason that may be shown to the user (by its ``code``)."""

    code: ClassVar[str] = "Signin"


class CredentialsSigninError(SignInError):
    """The ``authorize`` function of a Credentials provider refused the credentials.

    ``authorize`` may raise it (or return ``None``) to refuse a sign-in.

    Under ``AuthConfig(profile="authjs-v5")`` the redirect also carries ``&code=<reason>``
    (Auth.js v5's ``CredentialsSignin.code``, default ``"credentials"``). Set ``reason`` on a
    subclass, or pass it when raising; it goes into the URL, so make it a short machine code
    that does not tell a wrong password from an unknown user::

        class AccountLockedError(CredentialsSigninError):
            reason = "account_locked"

        raise CredentialsSigninError(reason="invalid_credentials")

    The next-auth v4 profile ignores it (``&provider=<id>`` instead, as v4 does).
    """

    code: ClassVar[str] = "CredentialsSignin"
    reason: str = "credentials"

    def __init__(self, *args: object, reason: str | None = None) -> None:
        super().__init__(*args)
        if reason is not None:
            self.reason = reason


class CallbackError(SignInError):
    """Completing a sign-in failed."""

    code: ClassVar[str] = "Callback"


class AccessDeniedError(SignInError):
    """The ``sign_in`` callback refused the user."""

    code: ClassVar[str] = "AccessDenied"


class TokenError(AuthGateError):
    """A token could not be decoded, verified, or was too large; it is treated as absent."""
