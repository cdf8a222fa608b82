"""The Passkey provider: sign in with a passkey or security key (WebAuthn).

Auth.js's ``Passkey`` provider (type ``webauthn``) on the same routes and with the same shapes:
``GET {base}/webauthn-options/passkey`` answers ``{action, options}`` and
``POST {base}/callback/passkey`` takes ``action`` and ``data`` (the browser's response, as
JSON). Credentials are stored through the adapter's ``Authenticator`` capability
(:class:`authgate.adapters.AuthenticatorAdapter`), as Auth.js stores them. See
``docs/passkeys.md``.

Needs ``pip install 'authgate[passkeys]'`` (py_webauthn verifies every response).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast
from urllib.parse import urlsplit

from authgate.errors import ConfigurationError

__all__ = ["ATTESTATION_FORMATS", "COSE_ALGORITHMS", "Passkey"]

COSE_ALGORITHMS = frozenset({-8, -7, -35, -36, -37, -38, -39, -257, -258, -259})
"""The COSE algorithm ids py_webauthn can verify (EdDSA, ECDSA, RSASSA-PSS, RSASSA-PKCS1)."""

ATTESTATION_FORMATS = frozenset(
    {"none", "packed", "fido-u2f", "apple", "android-key", "android-safetynet", "tpm"}
)
"""The attestation statement formats py_webauthn can verify."""

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def _origin(value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise ConfigurationError(f"Passkey(origins): {value!r} is not an origin like https://host")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _covers(rp_id: str, host: str) -> bool:
    """Whether ``rp_id`` is ``host`` or a parent domain of it (WebAuthn's RP ID rule)."""
    return host == rp_id or host.endswith("." + rp_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Passkey:
    """Sign in with a passkey; sign up with one when ``allow_sign_up``.

    Attributes:
        id: The provider id, in URLs (``/callback/<id>``, ``/webauthn-options/<id>``).
        name: Shown on the button ("Sign in with <name>").
        type: Always ``"webauthn"``.
        rp_id: The relying party id (a domain). Default: the host of the first origin.
        rp_name: Shown by some authenticators. Default: the RP ID.
        origins: The exact origins (``https://app.example.com``) a response may come from.
            Default: the origin of ``AuthConfig(url=...)`` / ``AUTH_URL``, or, without one (a
            trusted host in development), the request's own origin.
        user_verification: ``"required"`` (default: a PIN or biometric every time) or
            ``"preferred"`` (presence only is enough; security keys without a PIN).
        allow_sign_up: A visitor without a session may create a user with a new passkey and an
            e-mail address (validated and normalised; an address that belongs to a user is
            refused). Off by default: passkeys are added from the passkeys page while signed in.
        conditional_ui: Offer passkeys in the browser's autofill (``mediation: "conditional"``)
            on the built-in sign-in page.
        algorithms: COSE algorithm ids offered at registration, most preferred first; a
            credential with any other algorithm is refused.
        attestation_formats: Attestation formats accepted at registration (authgate asks for
            ``attestation: "none"``; browsers then send ``none``, some keys ``packed``).
        timeout: Seconds a ceremony may take; the challenge expires with it (at most 300).
    """

    id: str = "passkey"
    name: str = "Passkey"
    type: Literal["webauthn"] = "webauthn"
    rp_id: str | None = None
    rp_name: str | None = None
    origins: tuple[str, ...] = ()
    user_verification: Literal["required", "preferred"] = "required"
    allow_sign_up: bool = False
    conditional_ui: bool = True
    algorithms: tuple[int, ...] = (-8, -7, -257)
    attestation_formats: tuple[str, ...] = ("none", "packed")
    timeout: int = 300

    def __post_init__(self) -> None:
        if self.type != "webauthn":
            raise ConfigurationError(f"Passkey(type={self.type!r}) must be 'webauthn'")
        if not _ID.fullmatch(self.id or ""):
            raise ConfigurationError(f"Passkey(id={self.id!r}): use 1-64 letters, digits, - or _")
        if self.user_verification not in ("required", "preferred"):
            raise ConfigurationError("Passkey(user_verification) must be 'required' or 'preferred'")
        given: object = self.origins
        if isinstance(given, str):
            raise ConfigurationError("Passkey(origins) must be a tuple of origins, not a string")
        origins = tuple(_origin(o) for o in self.origins)
        object.__setattr__(self, "origins", origins)
        if self.rp_id is None and origins:
            first = urlsplit(origins[0]).hostname or ""
            if not all(_covers(first, urlsplit(o).hostname or "") for o in origins):
                raise ConfigurationError(
                    "Passkey(origins) on several domains need Passkey(rp_id=<their parent>)"
                )
        if self.rp_id is not None:
            labels = self.rp_id.split(".")
            if self.rp_id != self.rp_id.lower() or not all(map(_HOST_LABEL.fullmatch, labels)):
                raise ConfigurationError(f"Passkey(rp_id={self.rp_id!r}) must be a domain name")
            for origin in origins:
                if not _covers(self.rp_id, urlsplit(origin).hostname or ""):
                    raise ConfigurationError(
                        f"Passkey(origins): {origin} is not on the RP ID {self.rp_id!r}"
                    )
        if not self.algorithms or not set(self.algorithms) <= COSE_ALGORITHMS:
            raise ConfigurationError(
                f"Passkey(algorithms) must be some of {sorted(COSE_ALGORITHMS)}"
            )
        given = cast("object", self.attestation_formats)
        if isinstance(given, str) or not set(self.attestation_formats) <= ATTESTATION_FORMATS:
            raise ConfigurationError(
                f"Passkey(attestation_formats) must be some of {sorted(ATTESTATION_FORMATS)}"
            )
        if not isinstance(self.timeout, int) or not 30 <= self.timeout <= 300:
            raise ConfigurationError("Passkey(timeout) is seconds, from 30 to 300")

    def relying_party(self, fallback_origin: str) -> tuple[str, str, tuple[str, ...]]:
        """``(rp_id, rp_name, origins)``, the origins defaulting to ``fallback_origin``."""
        origins = self.origins or (_origin(fallback_origin),)
        rp_id = self.rp_id or urlsplit(origins[0]).hostname or ""
        return rp_id, self.rp_name or rp_id, origins
