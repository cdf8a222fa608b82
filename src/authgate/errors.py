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

Codes are next-auth v4's, so custom pages written for NextAuth work unchanged. Every code
authgate itself sends is an :class:`ErrorCode` (one typed set); a :class:`SignInError`
subclass of yours may carry a code of its own (:data:`CustomCode`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, NewType

__all__ = [
    "AccessDeniedError",
    "AuthGateError",
    "CallbackError",
    "ConfigurationError",
    "CredentialsSigninError",
    "CustomCode",
    "ErrorCode",
    "MissingSecretError",
    "SignInError",
    "TokenError",
    "code_of",
]


class ErrorCode(StrEnum):
    """An error code (the value is what goes on the wire)."""

    # next-auth v4 ?error= codes
    AccessDenied = "AccessDenied"
    Callback = "Callback"
    Configuration = "Configuration"
    ConfigurationPage = "configuration"  # v4's lowercase quirk: the 500 "Server error" page
    CredentialsSignin = "CredentialsSignin"
    Default = "Default"
    EmailCreateAccount = "EmailCreateAccount"
    EmailSignin = "EmailSignin"
    MissingCSRF = "MissingCSRF"
    OAuthAccountNotLinked = "OAuthAccountNotLinked"
    OAuthCallback = "OAuthCallback"
    OAuthCreateAccount = "OAuthCreateAccount"
    OAuthSignin = "OAuthSignin"
    SessionRequired = "SessionRequired"
    Signin = "Signin"
    Verification = "Verification"
    # authgate's own
    EmailNotVerified = "EmailNotVerified"  # a password account whose address is unproven
    SignOut = "SignOut"  # a database sign-out that could not be carried out
    TooManyRequests = "TooManyRequests"  # the sign-in limiter
    # Auth.js v5 error types (ErrorRedirect.error_type; shown by the authjs-v5 profile)
    AccountNotLinked = "AccountNotLinked"
    EmailSignInError = "EmailSignInError"
    OAuthCallbackError = "OAuthCallbackError"
    OAuthSignInError = "OAuthSignInError"
    UnknownAction = "UnknownAction"
    WebAuthnVerificationError = "WebAuthnVerificationError"


CustomCode = NewType("CustomCode", str)
"""A code a :class:`~authgate.errors.SignInError` subclass of the application carries."""

AnyCode = ErrorCode | CustomCode  # what to_error takes


def code_of(value: str) -> AnyCode:
    """``value`` as an :class:`ErrorCode` when it is one, else as the application's own code."""
    try:
        return ErrorCode(value)
    except ValueError:
        return CustomCode(value)


class AuthGateError(Exception):
    """Base class of every error authgate raises."""


class ConfigurationError(AuthGateError, ValueError):
    """The configuration is invalid; the message says what to fix."""


class MissingSecretError(ConfigurationError):
    """No secret was configured where one is required."""


class SignInError(AuthGateError):
    """A sign-in failed for a reason that may be shown to the user (by its ``code``)."""

    code: ClassVar[str] = ErrorCode.Signin


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

    code: ClassVar[str] = ErrorCode.CredentialsSignin
    reason: str = "credentials"

    def __init__(self, *args: object, reason: str | None = None) -> None:
        super().__init__(*args)
        if reason is not None:
            self.reason = reason


class CallbackError(SignInError):
    """Completing a sign-in failed."""

    code: ClassVar[str] = ErrorCode.Callback


class AccessDeniedError(SignInError):
    """The ``sign_in`` callback refused the user."""

    code: ClassVar[str] = ErrorCode.AccessDenied


class TokenError(AuthGateError):
    """A token could not be decoded, verified, or was too large; it is treated as absent."""
