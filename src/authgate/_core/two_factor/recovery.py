"""Recovery codes: single use, shown once, stored as keyed hashes (never the codes).

A code is 10 characters of an unambiguous alphabet (50 bits) shown as ``xxxxx-xxxxx``; what
is stored is the code's HMAC under a key derived from the secret, so a stolen table alone
cannot be tried offline.
"""

from __future__ import annotations

import secrets

from authgate._crypto.keys import RECOVERY_CODE, purpose_digest

_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
LENGTH = 10


def new_codes(count: int) -> list[str]:
    """``count`` fresh codes, formatted for display."""
    codes: set[str] = set()
    while len(codes) < count:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(LENGTH))
        codes.add(f"{raw[:5]}-{raw[5:]}")
    return sorted(codes)


def canonical(code: str) -> str | None:
    """A typed code without separators and spaces, lower-cased; ``None`` if it cannot be one."""
    cleaned = "".join(c for c in code.lower() if c not in "- ")
    if len(cleaned) != LENGTH or any(c not in _ALPHABET for c in cleaned):
        return None
    return cleaned


def digest(secret: str, code: str) -> str:
    """The stored form of a (canonical) code."""
    return purpose_digest(secret, RECOVERY_CODE, code)


def digests(secret: str, codes: list[str]) -> list[str]:
    """The stored forms of freshly made (display) codes."""
    return [digest(secret, canonical(c) or "") for c in codes]
