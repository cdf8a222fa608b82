"""Key derivation (HKDF-SHA256, RFC 5869) with next-auth's parameters."""

from __future__ import annotations

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from authgate._crypto.tokens import keyed_hex

# next-auth v4 jwt/index.ts: info string of the session-token key (salt "").
V4_INFO = "NextAuth.js Generated Encryption Key"


def hkdf_sha256(secret: str, *, salt: str, info: str, length: int) -> bytes:
    """Derive ``length`` bytes from ``secret`` (UTF-8).

    An empty ``salt`` means HMAC with a zero-filled key, exactly as RFC 5869 and @panva/hkdf do.
    """
    return HKDF(
        algorithm=SHA256(),
        length=length,
        salt=salt.encode() or None,
        info=info.encode(),
    ).derive(secret.encode())


# authgate's own keys, one per purpose (SECURITY.md, decision 1): a value computed for one
# purpose (a CSRF cookie's hash) is never valid for another (a stored e-mail token hash).
PURPOSE_SALT = "authgate purpose keys"
CSRF_TOKEN = "csrf-token"
EMAIL_TOKEN = "email-token"
RATE_LIMIT = "rate-limit"
PASSWORD_TOKEN = "password-token"  # the mailed links of password accounts
TWO_FACTOR_PENDING = "two-factor-pending"  # the single-use id of a pending two-factor sign-in
RECOVERY_CODE = "recovery-code"  # stored recovery codes
WEBAUTHN_CHALLENGE = "webauthn-challenge"


def purpose_key(secret: str, purpose: str) -> bytes:
    """The 32-byte key of ``purpose`` (one of the labels above), derived from ``secret``."""
    return hkdf_sha256(secret, salt=PURPOSE_SALT, info=f"authgate {purpose} key", length=32)


def purpose_digest(secret: str, purpose: str, data: str) -> str:
    """HMAC-SHA256 of ``data`` under ``purpose``'s key, lower-case hex."""
    return keyed_hex(purpose_key(secret, purpose), data)


def v4_key(secret: str, salt: str = "") -> bytes:
    """The 32-byte A256GCM key next-auth v4 derives for a token with this ``salt``."""
    info = f"{V4_INFO} ({salt})" if salt else V4_INFO
    return hkdf_sha256(secret, salt=salt, info=info, length=32)
