"""Whether a user has a security key as a second factor (``TwoFactor(security_keys=True)``).

A credential registered through the ``Passkey`` provider counts as an enrolled second factor
only when the configuration says so. Checking an answer is :mod:`authgate._core.webauthn
.second_factor` (it needs py_webauthn, the ``passkeys`` extra; this module does not).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from authgate._core.options import InternalOptions
    from authgate.adapters import AuthenticatorAdapter
    from authgate.providers.passkey import Passkey


def provider(options: InternalOptions) -> Passkey | None:
    """The Passkey provider whose credentials count, when security keys are on."""
    if options.two_factor is None or not options.two_factor.security_keys:
        return None
    for candidate in options.providers.values():
        if candidate.type == "webauthn":
            return candidate
    return None  # pragma: no cover - config.py refuses security_keys without a Passkey


def store(options: InternalOptions, adapter: object = None) -> AuthenticatorAdapter:
    """The adapter (or ``adapter``, a transaction) as an authenticator store."""
    # config.py refuses a Passkey provider without this capability.
    return cast("AuthenticatorAdapter", adapter if adapter is not None else options.adapter)


async def enrolled(options: InternalOptions, subject: str, adapter: object = None) -> bool:
    """Whether ``subject`` has a credential that counts as a second factor.

    Raises when storage fails.
    """
    if provider(options) is None:
        return False
    return bool(await store(options, adapter).list_authenticators_by_user_id(subject))
