"""Sealed data: AES-256-GCM under a key derived (HKDF-SHA256) from the secret for one purpose.

Used for what authgate keeps encrypted at rest or in a cookie that is not a session: the TOTP
secrets in the database, the pending two-factor sign-in, an enrolment in progress. Each purpose
has its own key (``info`` names it), so a value sealed for one is never accepted for another.
With several secrets (rotation) the first seals and every one opens.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from authgate._crypto.jwe import JWEError, KeyRing
from authgate._crypto.keys import hkdf_sha256

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Sealer"]


class Sealer:
    """Seal and open JSON objects for one ``purpose``."""

    __slots__ = ("_ring",)

    def __init__(self, secrets: Sequence[str], purpose: str) -> None:
        keys = [
            hkdf_sha256(
                s, salt=f"authgate {purpose}", info=f"authgate sealed ({purpose})", length=32
            )
            for s in secrets
        ]
        self._ring = KeyRing(keys)

    def seal(self, data: dict[str, Any]) -> str:
        """Encrypt and authenticate ``data`` (a JSON object)."""
        return self._ring.seal_json(data)

    def open(self, sealed: str) -> dict[str, Any] | None:
        """The data, or ``None`` when ``sealed`` was not made by this sealer (or was altered)."""
        try:
            return self._ring.open_json(sealed)
        except JWEError:
            return None
