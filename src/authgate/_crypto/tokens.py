"""Random tokens, digests and constant-time comparison."""

from __future__ import annotations

import hmac
import secrets


def random_hex(nbytes: int = 32) -> str:
    """``nbytes`` of randomness from the OS, hex-encoded."""
    return secrets.token_hex(nbytes)


def keyed_hex(key: bytes, data: str) -> str:
    """HMAC-SHA256 of the UTF-8 encoding of ``data`` under ``key``, lower-case hex."""
    return hmac.digest(key, data.encode("utf-8", "surrogatepass"), "sha256").hex()


def equal(a: str, b: str) -> bool:
    """Compare two strings in time independent of where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
