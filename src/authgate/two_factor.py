"""Two-factor sign-in settings: ``AuthConfig(two_factor=TwoFactor(...))``.

When a user who has enrolled a second factor passes the first one, no session is issued yet:
the browser goes to the built-in ``/two-factor`` page (JSON mode: ``{"url": ..., "twoFactor":
true}``) with a sealed, single-use pending cookie (5 minutes) bound to the user, the provider and
the callback URL; the right code issues the session. Users enrol at ``/two-factor-setup`` (a
QR code and the key as text; enrolment completes only with a valid code) and get 10 single-use
recovery codes. Needs ``pip install 'authgate[two-factor]'`` (pyotp, segno) and an adapter
with the :class:`~authgate.adapters.TwoFactorStore` capability.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from authgate.errors import ConfigurationError

__all__ = ["FirstFactor", "TwoFactor"]

FirstFactor = Literal["credentials", "email", "oauth"]
_ISSUER = re.compile(r"[^:\x00-\x1f]{1,64}")


@dataclass(frozen=True, slots=True, kw_only=True)
class TwoFactor:
    """Second factors (TOTP, RFC 6238, and recovery codes).

    Attributes:
        issuer: The name authenticator apps show next to the account (default: the host).
        after: The kinds of first factor that ask for the second one when a user has enrolled
            one: ``credentials`` (Credentials and Password), and optionally ``email`` and
            ``oauth``.
        digits: Digits of a code (6).
        period: Seconds a code is valid for (30).
        window: Time steps accepted either side of now, for clock drift (1).
        pending_max_age: Seconds between the first and the second factor (at most 300).
        recovery_codes: How many recovery codes enrolment hands out (10).
        low_recovery_codes: From this many left on, the settings page warns (3).
        security_keys: Accept a WebAuthn credential of the user (a passkey or security key
            registered through the ``Passkey`` provider) as the second factor, instead of a
            code (amr ``hwk``). A user with such a credential then counts as having a second
            factor enrolled even without TOTP. Needs the ``Passkey`` provider (``False``).
    """

    issuer: str | None = None
    after: frozenset[FirstFactor] = field(default_factory=lambda: frozenset({"credentials"}))
    digits: int = 6
    period: int = 30
    window: int = 1
    pending_max_age: int = 300
    recovery_codes: int = 10
    low_recovery_codes: int = 3
    security_keys: bool = False

    def __post_init__(self) -> None:
        if self.issuer is not None and not _ISSUER.fullmatch(self.issuer):
            raise ConfigurationError("TwoFactor(issuer) must be 1-64 characters without ':'")
        unknown = set(self.after) - {"credentials", "email", "oauth"}
        if unknown or not self.after:
            raise ConfigurationError("TwoFactor(after) takes 'credentials', 'email', 'oauth'")
        if self.digits not in (6, 8):
            raise ConfigurationError("TwoFactor(digits) must be 6 or 8")
        if self.period not in (30, 60):
            raise ConfigurationError("TwoFactor(period) must be 30 or 60 seconds")
        if not (0 <= self.window <= 2):
            raise ConfigurationError("TwoFactor(window) must be 0-2 steps")
        if not (30 <= self.pending_max_age <= 300):
            raise ConfigurationError("TwoFactor(pending_max_age) must be 30-300 seconds")
        if not (5 <= self.recovery_codes <= 20):
            raise ConfigurationError("TwoFactor(recovery_codes) must be 5-20")
        if not (0 <= self.low_recovery_codes < self.recovery_codes):
            raise ConfigurationError("TwoFactor(low_recovery_codes) must be below recovery_codes")
        if not isinstance(self.security_keys, bool):
            raise ConfigurationError("TwoFactor(security_keys) must be True or False")
