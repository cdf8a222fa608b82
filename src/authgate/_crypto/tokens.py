"""Random tokens, digests and constant-time comparison."""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import _Hash

_BLOCK = 64  # SHA-256's block size (RFC 2104's B)
_IPAD = bytes(b ^ 0x36 for b in range(256))
_OPAD = bytes(b ^ 0x5C for b in range(256))


def random_hex(nbytes: int = 32) -> str:
    """``nbytes`` of randomness from the OS, hex-encoded."""
    # What secrets.token_hex does, without its two Python-level calls (every first visit
    # mints a CSRF token with it).
    return os.urandom(nbytes).hex()


@functools.lru_cache(maxsize=32)
def _keyed(key: bytes) -> tuple[_Hash, _Hash]:
    # RFC 2104's inner and outer hashes with the padded key absorbed, made once per key: the
    # one-shot hmac.digest looks the digest up and sets up both per call (~4x the hashing).
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    padded = key.ljust(_BLOCK, b"\0")
    return hashlib.sha256(padded.translate(_IPAD)), hashlib.sha256(padded.translate(_OPAD))


def keyed_hex(key: bytes, data: str) -> str:
    """HMAC-SHA256 of the UTF-8 encoding of ``data`` under ``key``, lower-case hex."""
    inner_start, outer_start = _keyed(key)
    inner = inner_start.copy()
    inner.update(data.encode("utf-8", "surrogatepass"))
    outer = outer_start.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


def equal(a: str, b: str) -> bool:
    """Compare two strings in time independent of where they differ."""
    return hmac.compare_digest(a.encode(), b.encode())
