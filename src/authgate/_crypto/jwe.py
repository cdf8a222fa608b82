"""Compact JWE with ``alg: dir`` and ``enc: A256GCM`` (RFC 7516), the next-auth v4 token format.

This is a fixed profile, so it is built directly on ``cryptography``'s AES-GCM rather than a
general JOSE library: the header is a constant (one accepted algorithm, nothing to negotiate),
and the session check that runs on every request costs one AES-GCM decryption.
"""

from __future__ import annotations

import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate._json import compact_encoder

# b64url('{"alg":"dir","enc":"A256GCM"}'): the only header accepted (algorithm allow-list).
V4_HEADER = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0"
_V4_HEADER_BYTES = V4_HEADER.encode("ascii")
_V4_PREFIX = V4_HEADER + ".."  # the header and the empty encrypted key
_IV_BYTES = 12  # RFC 7518 §5.3: 96-bit IV
_TAG_BYTES = 16
MAX_TOKEN_CHARS = 64 * 1024  # far above 16 cookie chunks; bounds work on hostile input


class JWEError(ValueError):
    """The token is not a well-formed JWE of our profile, or does not decrypt."""


_URLSAFE = bytes.maketrans(b"+/", b"-_")
_b2a = binascii.b2a_base64


def b64url_encode(data: bytes) -> str:
    # base64.urlsafe_b64encode without its two Python-level wrappers (runs 3x per token).
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def b64url_decode(data: str) -> bytes:
    if len(data) % 4 == 1:
        raise JWEError("invalid base64url length")
    try:
        return binascii.a2b_base64(
            (data + "=" * (-len(data) % 4)).replace("-", "+").replace("_", "/"), strict_mode=True
        )
    except (binascii.Error, ValueError) as exc:
        raise JWEError("invalid base64url") from exc


class DirectA256GCM:
    """Seal and open ``dir``/``A256GCM`` compact JWEs under one 32-byte key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ValueError("A256GCM needs a 32-byte key")
        self._aead = AESGCM(key)

    def seal(self, payload: bytes, iv: bytes | None = None) -> str:
        """The compact JWE of ``payload``, under a fresh random IV unless the caller gives one.

        ``iv`` is for callers that take it from the same ``os.urandom`` call as other fresh
        random bytes (:meth:`KeyRing.seal_json`); it must never be reused under this key.
        """
        if iv is None:
            iv = os.urandom(_IV_BYTES)
        elif len(iv) != _IV_BYTES:
            raise ValueError("A256GCM needs a 12-byte IV")
        sealed = self._aead.encrypt(iv, payload, _V4_HEADER_BYTES)
        # The IV is 12 bytes, a multiple of 3: base64 of IV + ciphertext is the IV's 16
        # characters followed by the ciphertext's, so one encoding serves both parts. The
        # 16-byte tag is 22 characters and "=="; the header has no "+" or "/" to translate.
        head = _b2a(iv + sealed[:-_TAG_BYTES], newline=False).rstrip(b"=").decode("ascii")
        tag = _b2a(sealed[-_TAG_BYTES:], newline=False)[:22].decode("ascii")
        token = f"{_V4_PREFIX}{head[:16]}.{head[16:]}.{tag}"
        return token.replace("+", "-").replace("/", "_")

    def open(self, token: str) -> bytes:
        _, _, iv_part, ciphertext_part, tag_part = _split(token)
        iv = b64url_decode(iv_part)
        ciphertext = b64url_decode(ciphertext_part)
        tag = b64url_decode(tag_part)
        if len(iv) != _IV_BYTES or len(tag) != _TAG_BYTES:
            raise JWEError("invalid IV or tag length")
        try:
            return self._aead.decrypt(iv, ciphertext + tag, _V4_HEADER_BYTES)
        except InvalidTag as exc:
            raise JWEError("decryption failed") from exc


def _split(token: str) -> list[str]:
    if len(token) > MAX_TOKEN_CHARS:
        raise JWEError("token too large")
    parts = token.split(".")
    if len(parts) != 5:
        raise JWEError("not a compact JWE")
    if parts[0] != V4_HEADER:
        # Decode only to give a precise reason; nothing but the exact header is accepted.
        raise JWEError("unsupported JWE header")
    if parts[1]:
        raise JWEError("dir JWE must have an empty encrypted key")
    return parts


def _not_json(literal: str) -> None:
    # Python accepts NaN/Infinity; JSON (and next-auth's JSON.parse) does not, and an
    # "exp" of NaN would never compare as expired.
    raise ValueError(f"{literal} is not JSON")


# Built once: json.dumps/json.loads with keyword arguments build a new encoder/decoder per call.
# Both are stateless between calls, so sharing them is safe (and thread-safe).
_ENCODER = compact_encoder(allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def _loads(payload: bytes) -> Any:
    # Exactly json.loads(payload, parse_constant=_not_json), minus the per-call decoder.
    return _DECODER.decode(payload.decode(json.detect_encoding(payload), "surrogatepass"))


_SCAN: Any = _DECODER.scan_once  # type: ignore[attr-defined]  # set in __init__, not typed


def _claims(payload: bytes) -> dict[str, Any]:
    """The JSON object ``payload`` holds, as :func:`_loads` reads it (same errors)."""
    if payload[:2] == b'{"':
        # What every token holds: UTF-8 (json.detect_encoding answers "utf-8" for any payload
        # starting with these two bytes), an object, no whitespace around it: the scanner alone.
        try:
            text = payload.decode("utf-8", "surrogatepass")
            claims, end = _SCAN(text, 0)
        except (StopIteration, ValueError, RecursionError):
            pass  # the full decoder below gives the reason
        else:
            if end == len(text):
                return claims  # type: ignore[no-any-return]  # "{" at 0: always an object
    try:
        claims = _loads(payload)
    except (ValueError, RecursionError) as exc:
        raise JWEError("payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise JWEError("payload is not a JSON object")
    return claims


_PAD = ("", "===", "==", "=")  # by length % 4 ("===" after 4n + 1 characters is an error)
_ENCODED_IV = 16  # characters of a 12-byte IV, a 16-byte tag
_ENCODED_TAG = 22
_a2b = binascii.a2b_base64


class KeyRing:
    """One cipher per secret: seals with the first, opens with whichever works."""

    __slots__ = ("_aeads", "_ciphers")

    IV_BYTES = _IV_BYTES  # what seal_json's ``iv`` must be

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._ciphers = [DirectA256GCM(k) for k in keys]
        self._aeads = tuple(c._aead for c in self._ciphers)

    def seal_json(self, claims: dict[str, Any], iv: bytes | None = None) -> str:
        # allow_nan=False: NaN/Infinity are not JSON; next-auth could not read the token.
        payload = _ENCODER(claims).encode()
        return self._ciphers[0].seal(payload, iv)

    def open_json(self, token: str) -> dict[str, Any]:
        # A well-formed token in one pass: split once, three base64 decodings, one AES-GCM
        # open per key. Anything else, or any base64 error, takes :meth:`_open_checked`, which
        # gives the precise reason; both accept exactly the same tokens.
        if len(token) <= MAX_TOKEN_CHARS:
            # The header has no "-" or "_": translating the whole token leaves it unchanged.
            parts = token.replace("-", "+").replace("_", "/").split(".")
            if (
                len(parts) == 5
                and parts[0] == V4_HEADER
                and not parts[1]
                and len(parts[2]) == _ENCODED_IV
                and len(parts[4]) == _ENCODED_TAG
            ):
                ciphertext = parts[3]
                try:
                    iv = _a2b(parts[2], strict_mode=True)
                    tag = _a2b(parts[4] + "==", strict_mode=True)
                    sealed = _a2b(ciphertext + _PAD[len(ciphertext) & 3], strict_mode=True)
                except (binascii.Error, ValueError):
                    pass
                else:
                    if len(iv) == _IV_BYTES and len(tag) == _TAG_BYTES:
                        sealed += tag
                        for aead in self._aeads:
                            try:
                                payload = aead.decrypt(iv, sealed, _V4_HEADER_BYTES)
                            except InvalidTag:
                                continue
                            return _claims(payload)
                        raise JWEError("decryption failed")
        return self._open_checked(token)

    def _open_checked(self, token: str) -> dict[str, Any]:
        last: JWEError | None = None
        for cipher in self._ciphers:
            try:
                payload = cipher.open(token)
            except JWEError as exc:
                last = exc
                continue
            return _claims(payload)
        raise last or JWEError("no key")
