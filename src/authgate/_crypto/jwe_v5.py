"""Auth.js v5 (``@auth/core`` ``jwt.ts``) tokens: compact JWE ``dir`` + ``A256CBC-HS512`` + ``kid``.

- Key: HKDF-SHA256(secret, salt = the cookie name, info = ``Auth.js Generated Encryption Key
  (<salt>)``), 64 bytes for ``A256CBC-HS512`` and 32 for ``A256GCM`` (which v5 also decodes).
- ``kid``: the RFC 7638 thumbprint of ``{"kty":"oct","k":b64url(key)}`` with SHA-512 (SHA-256
  for the 32-byte key): ``sha${bits}`` in ``jwt.ts``.
- Rotation: encode with the first secret; decode picks the key whose ``kid`` matches (a token
  without ``kid`` is tried under each key).

Built on ``cryptography`` (AES-CBC + HMAC-SHA512, RFC 7518 §5.2, and AES-GCM) rather than
joserfc for the same reason as the v4 JWE (docs/design.md): the session check runs on every
request, and bench/jwe_v5_bench.py measured joserfc at several times the cost. The header is
an allow-list: ``alg`` must be ``dir``, ``enc`` one of the two above, and nothing but ``kid``
and ``typ`` may accompany them (no ``zip``, no ``crit``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate._crypto.jwe import MAX_TOKEN_CHARS, JWEError, b64url_decode, b64url_encode
from authgate._crypto.keys import hkdf_sha256

__all__ = ["V5_INFO", "V5KeyRing", "thumbprint", "v5_key"]

V5_INFO = "Auth.js Generated Encryption Key"
CBC_HS512 = "A256CBC-HS512"
GCM = "A256GCM"
_KEY_BYTES = {CBC_HS512: 64, GCM: 32}
_HEADER_MEMBERS = frozenset({"alg", "enc", "kid", "typ"})
_MAX_HEADER_CHARS = 512
_CBC_IV, _CBC_TAG, _GCM_IV, _GCM_TAG = 16, 32, 12, 16


def v5_key(secret: str, salt: str, enc: str = CBC_HS512) -> bytes:
    """The key ``@auth/core`` derives for ``enc`` from ``secret`` and ``salt`` (the cookie name)."""
    if not salt:
        raise ValueError("Auth.js v5 tokens need a salt: the cookie name")
    return hkdf_sha256(secret, salt=salt, info=f"{V5_INFO} ({salt})", length=_KEY_BYTES[enc])


def thumbprint(key: bytes) -> str:
    """RFC 7638 thumbprint of the ``oct`` JWK of ``key``, hashed with SHA-(8 * len(key))."""
    # Required members only, sorted, no whitespace (RFC 7638 §3.2): {"k":...,"kty":"oct"}.
    canonical = f'{{"k":"{b64url_encode(key)}","kty":"oct"}}'.encode("ascii")
    digest = hashlib.sha512 if len(key) == 64 else hashlib.sha256
    return b64url_encode(digest(canonical).digest())


def _not_json(literal: str) -> None:
    raise ValueError(f"{literal} is not JSON")  # NaN/Infinity: see jwe.py


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_DECODER = json.JSONDecoder(parse_constant=_not_json)


def _header(enc: str, kid: str) -> str:
    # jose's EncryptJWT writes the members in this order (setProtectedHeader({alg, enc, kid})).
    return b64url_encode(f'{{"alg":"dir","enc":"{enc}","kid":"{kid}"}}'.encode("ascii"))


@dataclass(frozen=True, slots=True)
class _Key:
    enc: str
    key: bytes
    kid: str

    def open(self, header: str, iv: bytes, ciphertext: bytes, tag: bytes) -> bytes:
        aad = header.encode("ascii")
        if self.enc == GCM:
            if len(iv) != _GCM_IV or len(tag) != _GCM_TAG:
                raise JWEError("invalid IV or tag length")
            try:
                return AESGCM(self.key).decrypt(iv, ciphertext + tag, aad)
            except InvalidTag as exc:
                raise JWEError("decryption failed") from exc
        if len(iv) != _CBC_IV or len(tag) != _CBC_TAG or not ciphertext or len(ciphertext) % 16:
            raise JWEError("invalid IV, tag or ciphertext length")
        # RFC 7518 §5.2.2.2: verify the tag before decrypting (no padding oracle).
        if not hmac.compare_digest(tag, _cbc_tag(self.key[:32], aad, iv, ciphertext)):
            raise JWEError("decryption failed")
        decryptor = Cipher(algorithms.AES(self.key[32:]), modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        pad = padded[-1]
        if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
            raise JWEError("decryption failed")
        return padded[:-pad]

    def seal(self, header: str, payload: bytes, iv: bytes | None = None) -> str:
        # Encoding is only ever A256CBC-HS512, as @auth/core does. ``iv``: fresh random bytes
        # the caller drew together with others (see jwe.DirectA256GCM.seal), never reused.
        aad = header.encode("ascii")
        if iv is None:
            iv = os.urandom(_CBC_IV)
        elif len(iv) != _CBC_IV:
            raise ValueError("A256CBC-HS512 needs a 16-byte IV")
        pad = 16 - len(payload) % 16
        encryptor = Cipher(algorithms.AES(self.key[32:]), modes.CBC(iv)).encryptor()
        ciphertext = encryptor.update(payload + bytes([pad]) * pad) + encryptor.finalize()
        tag = _cbc_tag(self.key[:32], aad, iv, ciphertext)
        return ".".join(
            (header, "", b64url_encode(iv), b64url_encode(ciphertext), b64url_encode(tag))
        )


def _cbc_tag(mac_key: bytes, aad: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    # RFC 7518 §5.2.2.1: HMAC-SHA-512 over AAD || IV || C || AL, truncated to 32 bytes.
    al = (len(aad) * 8).to_bytes(8, "big")
    return hmac.new(mac_key, aad + iv + ciphertext + al, hashlib.sha512).digest()[:_CBC_TAG]


class V5KeyRing:
    """Seal with the first secret's key; open with the key the header's ``kid`` names.

    Args:
        secrets: One or more secrets (rotation: the first encodes).
        salt: The cookie name the token lives in (``authjs.session-token``, ...).
    """

    __slots__ = ("_by_header", "_keys", "_sealer", "_sealer_header")

    IV_BYTES = _CBC_IV  # what seal_json's ``iv`` must be

    def __init__(self, secrets: list[str], salt: str) -> None:
        if not secrets:
            raise ValueError("at least one secret is needed")
        self._keys: dict[str, list[_Key]] = {CBC_HS512: [], GCM: []}
        # Exact headers we would write for each key: the fast path skips JSON parsing.
        self._by_header: dict[str, _Key] = {}
        for secret in secrets:
            for enc, keys in self._keys.items():
                key = v5_key(secret, salt, enc)
                entry = _Key(enc, key, thumbprint(key))
                keys.append(entry)
                self._by_header.setdefault(_header(enc, entry.kid), entry)
        self._sealer = self._keys[CBC_HS512][0]
        self._sealer_header = _header(CBC_HS512, self._sealer.kid)

    def seal_json(self, claims: dict[str, Any], iv: bytes | None = None) -> str:
        return self._sealer.seal(self._sealer_header, _ENCODER.encode(claims).encode(), iv)

    def open_json(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_CHARS:
            raise JWEError("token too large")
        parts = token.split(".")
        if len(parts) != 5:
            raise JWEError("not a compact JWE")
        header, encrypted_key, iv_part, ciphertext_part, tag_part = parts
        if encrypted_key:
            raise JWEError("dir JWE must have an empty encrypted key")
        iv, ciphertext, tag = (b64url_decode(p) for p in (iv_part, ciphertext_part, tag_part))
        known = self._by_header.get(header)
        candidates = [known] if known is not None else self._candidates(header)
        for key in candidates:
            try:
                payload = key.open(header, iv, ciphertext, tag)
            except JWEError:
                continue
            return _claims(payload)
        raise JWEError("decryption failed")

    def _candidates(self, header: str) -> list[_Key]:
        if len(header) > _MAX_HEADER_CHARS:
            raise JWEError("JWE header too large")
        try:
            fields = _DECODER.decode(b64url_decode(header).decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise JWEError("invalid JWE header") from exc
        if not isinstance(fields, dict) or not set(fields) <= _HEADER_MEMBERS:
            raise JWEError("unsupported JWE header")
        enc = fields.get("enc")
        if fields.get("alg") != "dir" or enc not in self._keys:
            raise JWEError("unsupported JWE algorithm")
        keys = self._keys[enc]
        if "kid" not in fields:
            return keys
        matching = [k for k in keys if fields["kid"] == k.kid]
        if not matching:
            raise JWEError("no key matches the token's kid")
        return matching


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = _DECODER.decode(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise JWEError("payload is not JSON") from exc
    if not isinstance(claims, dict):
        raise JWEError("payload is not a JSON object")
    return claims
