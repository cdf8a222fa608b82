"""The options of a ceremony (``navigator.credentials.create()`` / ``get()``), as JSON.

py_webauthn builds them; the JSON is SimpleWebAuthn's shape (base64url challenge and ids),
which is what ``next-auth/webauthn`` and authgate's own script read.
"""

from __future__ import annotations

import base64
import json
import secrets
from typing import TYPE_CHECKING, Any

from webauthn import generate_authentication_options, generate_registration_options, options_to_json
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from authgate.adapters import AdapterAuthenticator
    from authgate.providers.passkey import Passkey

__all__ = ["authentication_options", "registration_options", "second_factor_options"]

_TRANSPORTS = {t.value: t for t in AuthenticatorTransport}


def _descriptor(stored: AdapterAuthenticator) -> PublicKeyCredentialDescriptor:
    names = (stored.get("transports") or "").split(",")
    return PublicKeyCredentialDescriptor(
        id=base64.b64decode(stored["credentialID"]),
        transports=[_TRANSPORTS[n] for n in names if n in _TRANSPORTS] or None,
    )


def _uv(provider: Passkey) -> UserVerificationRequirement:
    return UserVerificationRequirement(provider.user_verification)


def registration_options(
    provider: Passkey,
    *,
    challenge: bytes,
    rp_id: str,
    rp_name: str,
    user_name: str,
    display_name: str,
    existing: Sequence[AdapterAuthenticator],
) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for a new discoverable credential."""
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        # A random handle, as Auth.js: the stored credential names its user, not the handle.
        user_id=secrets.token_bytes(32),
        user_name=user_name,
        user_display_name=display_name,
        challenge=challenge,
        timeout=provider.timeout * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=_uv(provider)
        ),
        exclude_credentials=[_descriptor(a) for a in existing],
        supported_pub_key_algs=[COSEAlgorithmIdentifier(a) for a in provider.algorithms],
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def authentication_options(provider: Passkey, *, challenge: bytes, rp_id: str) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON`` for any discoverable credential of this RP.

    No ``allowCredentials``: naming a user's credentials before they sign in would tell anyone
    who asks which credentials an address has.
    """
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=provider.timeout * 1000,
        user_verification=_uv(provider),
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result


def second_factor_options(
    provider: Passkey,
    *,
    challenge: bytes,
    rp_id: str,
    credentials: Sequence[AdapterAuthenticator],
) -> dict[str, Any]:
    """Request options for a second factor: the user is known, so only their credentials.

    User verification is ``preferred``, not the provider's setting: the first factor was
    the knowledge factor, the key proves possession (SECURITY.md, decision 18), and a
    security key without a PIN must do.
    """
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=challenge,
        timeout=provider.timeout * 1000,
        allow_credentials=[_descriptor(c) for c in credentials],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    result: dict[str, Any] = json.loads(options_to_json(options))
    return result
