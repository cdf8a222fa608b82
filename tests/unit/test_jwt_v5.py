"""Auth.js v5 tokens (``profile="authjs-v5"``): format, rotation, allow-list, limits.

joserfc, an independent JOSE implementation, checks the wire format both ways; the real
@auth/core does the same in tests/interop/test_authjs_tokens.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe
from joserfc.jwk import OctKey

from authgate import jwt
from authgate._crypto.jwe_v5 import _header, _Key, thumbprint, v5_key
from authgate.config import DEFAULT_MAX_AGE
from authgate.errors import TokenError

SALT = "authjs.session-token"
SECRET = "v5-unit-secret-0123456789"
NOW = 1_800_000_000.0
REGISTRY = jwe.JWERegistry(algorithms=["dir", "A256CBC-HS512", "A256GCM"])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def header_of(token: str) -> dict[str, Any]:
    part = token.split(".")[0]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def v5_encode(claims: dict[str, Any], secret: Any = SECRET, salt: str = SALT) -> str:
    return jwt.encode(claims, secret, salt=salt, now=NOW, profile="authjs-v5")


def v5_decode(token: str, secret: Any = SECRET, salt: str = SALT) -> dict[str, Any]:
    return jwt.decode(token, secret, salt=salt, now=NOW, profile="authjs-v5")


def test_key_derivation_and_kid_follow_auth_js() -> None:
    key = v5_key(SECRET, SALT)
    assert len(key) == 64
    assert len(v5_key(SECRET, SALT, "A256GCM")) == 32
    # RFC 7638: SHA-512 over the canonical {"k","kty"} JSON of the 64-byte key.
    canonical = json.dumps({"k": b64(key), "kty": "oct"}, separators=(",", ":")).encode()
    assert thumbprint(key) == b64(hashlib.sha512(canonical).digest())
    # joserfc's thumbprint is SHA-256, the hash v5 uses for the 32-byte A256GCM key.
    gcm_key = v5_key(SECRET, SALT, "A256GCM")
    assert thumbprint(gcm_key) == OctKey.import_key(gcm_key).thumbprint()


def test_header_is_dir_cbc_hs512_with_kid_and_claims_are_set() -> None:
    token = v5_encode({"sub": "1", "iat": 5, "jti": "mine"})
    assert header_of(token) == {
        "alg": "dir",
        "enc": "A256CBC-HS512",
        "kid": thumbprint(v5_key(SECRET, SALT)),
    }
    claims = v5_decode(token)
    assert claims["sub"] == "1"
    assert claims["iat"] == int(NOW)
    assert claims["exp"] == int(NOW) + DEFAULT_MAX_AGE
    assert claims["jti"] != "mine"


def test_joserfc_decrypts_ours_and_we_decrypt_joserfc() -> None:
    key = OctKey.import_key(v5_key(SECRET, SALT))
    token = v5_encode({"sub": "1", "name": "Zoë ✓"})
    plain = json.loads(jwe.decrypt_compact(token, key, registry=REGISTRY).plaintext or b"")
    assert plain["name"] == "Zoë ✓"
    for enc, size in (("A256CBC-HS512", 64), ("A256GCM", 32)):
        raw = v5_key(SECRET, SALT, enc)
        assert len(raw) == size
        for protected in (
            {"alg": "dir", "enc": enc, "kid": thumbprint(raw)},
            {"alg": "dir", "enc": enc},
        ):
            theirs = jwe.encrypt_compact(
                protected,
                json.dumps({"sub": "2", "exp": NOW + 60}),
                OctKey.import_key(raw),
                registry=REGISTRY,
            )
            assert v5_decode(theirs)["sub"] == "2"


def test_rotation_encodes_with_first_and_decodes_with_any() -> None:
    token = v5_encode({"sub": "1"}, ["new", "old"])
    assert header_of(token)["kid"] == thumbprint(v5_key("new", SALT))
    assert v5_decode(token, "new")["sub"] == "1"
    assert v5_decode(token, ["newer", "new"])["sub"] == "1"
    with pytest.raises(TokenError):
        v5_decode(token, ["old", "other"])


def test_kid_selects_the_key_and_a_token_without_kid_tries_each() -> None:
    old = v5_key("old", SALT)
    no_kid = _Key("A256CBC-HS512", old, "").seal(
        b64(b'{"alg":"dir","enc":"A256CBC-HS512"}'), b'{"sub":"3"}'
    )
    assert v5_decode(no_kid, ["new", "old"])["sub"] == "3"
    wrong_kid = _Key("A256CBC-HS512", old, "").seal(
        _header("A256CBC-HS512", thumbprint(v5_key("new", SALT))), b'{"sub":"3"}'
    )
    with pytest.raises(TokenError):
        v5_decode(wrong_kid, ["new", "old"])
    unknown_kid = _Key("A256CBC-HS512", old, "").seal(
        _header("A256CBC-HS512", "nope"), b'{"sub":"3"}'
    )
    with pytest.raises(TokenError, match="kid"):
        v5_decode(unknown_kid, ["new", "old"])


@pytest.mark.parametrize(
    "protected",
    [
        {"alg": "dir", "enc": "A256CBC-HS512", "zip": "DEF"},
        {"alg": "dir", "enc": "A256CBC-HS512", "crit": ["exp"]},
        {"alg": "dir", "enc": "A256CBC-HS512", "jku": "https://evil.example"},
        {"alg": "none", "enc": "A256CBC-HS512"},
        {"alg": "A256KW", "enc": "A256CBC-HS512"},
        {"alg": "dir", "enc": "A128CBC-HS256"},
        {"alg": "dir"},
        ["dir"],
    ],
)
def test_only_dir_with_the_two_encs_and_known_members_is_accepted(protected: object) -> None:
    # Correctly encrypted under the right key: refused for the header alone.
    header = b64(json.dumps(protected).encode())
    token = _Key("A256CBC-HS512", v5_key(SECRET, SALT), "").seal(header, b'{"sub":"1"}')
    with pytest.raises(TokenError, match="unsupported"):
        v5_decode(token)


def test_size_limits() -> None:
    token = v5_encode({"sub": "1"})
    with pytest.raises(TokenError, match="too large"):
        v5_decode(token + "A" * 70_000)
    big_header = b64(json.dumps({"alg": "dir", "enc": "A256GCM", "typ": "x" * 600}).encode())
    with pytest.raises(TokenError, match="too large"):
        v5_decode(".".join([big_header, *token.split(".")[1:]]))


@pytest.mark.parametrize("part", [1, 2, 3, 4])
def test_tampering_is_refused(part: int) -> None:
    pieces = v5_encode({"sub": "1"}).split(".")
    pieces[part] = pieces[part][:-2] + ("AA" if pieces[part][-2:] != "AA" else "BB")
    with pytest.raises(TokenError):
        v5_decode(".".join(pieces))


def test_gcm_with_bad_tag_and_truncated_cbc_are_refused() -> None:
    raw = v5_key(SECRET, SALT, "A256GCM")
    header = _header("A256GCM", thumbprint(raw))
    iv = os.urandom(12)
    sealed = AESGCM(raw).encrypt(iv, b'{"sub":"g"}', header.encode())
    good = ".".join([header, "", b64(iv), b64(sealed[:-16]), b64(sealed[-16:])])
    assert v5_decode(good)["sub"] == "g"
    with pytest.raises(TokenError):
        v5_decode(".".join([header, "", b64(iv), b64(sealed[:-16]), b64(bytes(16))]))
    cbc = v5_encode({"sub": "1"}).split(".")
    cbc[3] = ""
    with pytest.raises(TokenError):
        v5_decode(".".join(cbc))


def test_salt_separates_session_tokens_from_check_cookies() -> None:
    # A state/PKCE/nonce check cookie is encrypted with its own cookie name as salt.
    state = v5_encode({"value": "s", "sub": "1"}, salt="authjs.state")
    with pytest.raises(TokenError):
        v5_decode(state)
    secure = v5_encode({"sub": "1"}, salt="__Secure-authjs.session-token")
    with pytest.raises(TokenError):
        v5_decode(secure)
    # v4: the session salt is "", check cookies use their name.
    v4_state = jwt.encode({"value": "s"}, SECRET, salt="next-auth.state", now=NOW)
    with pytest.raises(TokenError):
        jwt.decode(v4_state, SECRET, now=NOW)


def test_formats_do_not_cross() -> None:
    v4 = jwt.encode({"sub": "1"}, SECRET, now=NOW)
    with pytest.raises(TokenError):
        v5_decode(v4)
    with pytest.raises(TokenError):
        jwt.decode(v5_encode({"sub": "1"}), SECRET, now=NOW)


def test_salt_is_required_and_profile_is_checked() -> None:
    with pytest.raises(ValueError, match="salt"):
        jwt.encode({}, SECRET, profile="authjs-v5")
    with pytest.raises(ValueError, match="profile"):
        jwt.JWTCodec(SECRET, profile="v6")  # type: ignore[arg-type]


def test_expiry_uses_the_clock_tolerance() -> None:
    token = jwt.encode({"sub": "1"}, SECRET, salt=SALT, now=NOW, max_age=60, profile="authjs-v5")
    assert v5_decode(token)["sub"] == "1"
    with pytest.raises(TokenError, match="exp"):
        jwt.decode(token, SECRET, salt=SALT, now=NOW + 60 + 15, profile="authjs-v5")
    assert jwt.decode(token, SECRET, salt=SALT, now=NOW + 60 + 14, profile="authjs-v5")


def test_payload_must_be_a_json_object() -> None:
    key = _Key("A256CBC-HS512", v5_key(SECRET, SALT), "")
    header = _header("A256CBC-HS512", thumbprint(v5_key(SECRET, SALT)))
    for payload in (b"[1]", b"NaN", b"\xff", b'{"exp": NaN}'):
        with pytest.raises(TokenError):
            v5_decode(key.seal(header, payload))
