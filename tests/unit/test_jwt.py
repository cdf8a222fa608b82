"""The v4 session-token format: JWE ``dir`` + ``A256GCM`` under an HKDF-SHA256 key.

Tokens are crafted here with the low-level pieces (``_crypto``) or by hand with ``cryptography``
so that every refusal is checked on an otherwise valid, correctly encrypted token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import uuid
from typing import Any
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate import AuthRequest
from authgate import jwt as agjwt
from authgate._crypto.jwe import MAX_TOKEN_CHARS, V4_HEADER
from authgate._crypto.keys import hkdf_sha256, v4_key
from authgate.config import DEFAULT_MAX_AGE
from authgate.errors import TokenError

SECRET = "unit-secret-5b1f"
NOW = 1_800_000_000
HEADER_JSON = b'{"alg":"dir","enc":"A256GCM"}'


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def rfc5869(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF written out from RFC 5869, independent of ``cryptography``'s implementation."""
    prk = hmac.new(salt or b"\x00" * 32, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def seal(
    payload: bytes,
    *,
    secret: str = SECRET,
    salt: str = "",
    header: bytes = HEADER_JSON,
    encrypted_key: str = "",
    iv: bytes | None = None,
) -> str:
    """A compact JWE encrypted for real under the v4 key, with any header we like as AAD."""
    protected = b64e(header)
    iv = iv if iv is not None else b"\x01" * 12
    sealed = AESGCM(v4_key(secret, salt)).encrypt(iv, payload, protected.encode())
    return ".".join((protected, encrypted_key, b64e(iv), b64e(sealed[:-16]), b64e(sealed[-16:])))


def seal_claims(claims: Any, **kwargs: Any) -> str:
    return seal(json.dumps(claims).encode(), **kwargs)


def cookie_request(*cookies: tuple[str, str], headers: tuple[tuple[str, str], ...] = ()) -> Any:
    all_headers = list(headers)
    if cookies:
        all_headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies)))
    return AuthRequest.build(method="GET", path="/", headers=all_headers)


# -- key derivation ---------------------------------------------------------------------------


def test_hkdf_rfc5869_test_case_3() -> None:
    # RFC 5869 A.3: zero-length salt and info.
    okm = hkdf_sha256("\x0b" * 22, salt="", info="", length=42)
    assert okm.hex() == (
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"
    )


@pytest.mark.parametrize("secret", [SECRET, "sécret ✓", "x"])
def test_session_key_matches_spec(secret: str) -> None:
    expected = rfc5869(secret.encode(), b"", b"NextAuth.js Generated Encryption Key", 32)
    assert v4_key(secret) == expected
    assert len(expected) == 32


def test_salted_key_matches_spec() -> None:
    salt = "next-auth.state"
    info = b"NextAuth.js Generated Encryption Key (next-auth.state)"
    assert v4_key(SECRET, salt) == rfc5869(SECRET.encode(), salt.encode(), info, 32)
    assert v4_key(SECRET, salt) != v4_key(SECRET)


def test_token_opens_with_independently_derived_key() -> None:
    token = agjwt.encode({"sub": "1"}, SECRET, now=NOW)
    header, _, iv, ciphertext, tag = token.split(".")
    key = rfc5869(SECRET.encode(), b"", b"NextAuth.js Generated Encryption Key", 32)
    plain = AESGCM(key).decrypt(b64d(iv), b64d(ciphertext) + b64d(tag), header.encode())
    claims = json.loads(plain)
    assert claims["sub"] == "1"
    assert claims["iat"] == NOW


# -- the format ---------------------------------------------------------------------------------


def test_header_is_exactly_v4() -> None:
    token = agjwt.encode({"sub": "1"}, SECRET)
    assert token.split(".")[0] == V4_HEADER == "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0"
    assert b64d(V4_HEADER) == HEADER_JSON


def test_parts_iv_and_tag_sizes() -> None:
    claims = {"sub": "1", "name": "Ada"}
    token = agjwt.encode(claims, SECRET, now=NOW)
    parts = token.split(".")
    assert len(parts) == 5
    assert parts[1] == ""
    assert len(b64d(parts[2])) == 12
    assert len(b64d(parts[4])) == 16
    assert all("=" not in p and "+" not in p and "/" not in p for p in parts)
    payload = agjwt.decode(token, SECRET, now=NOW)
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    assert len(b64d(parts[3])) == len(compact)  # GCM: ciphertext as long as the JSON


def test_fresh_iv_and_jti_each_time() -> None:
    a, b = (agjwt.encode({"sub": "1"}, SECRET, now=NOW) for _ in range(2))
    assert a.split(".")[2] != b.split(".")[2]
    assert agjwt.decode(a, SECRET, now=NOW)["jti"] != agjwt.decode(b, SECRET, now=NOW)["jti"]


def test_encode_overwrites_iat_exp_jti() -> None:
    token = agjwt.encode(
        {"sub": "1", "iat": 1, "exp": 2, "jti": "mine"}, SECRET, max_age=100, now=NOW + 0.9
    )
    claims = agjwt.decode(token, SECRET, now=NOW)
    assert claims["iat"] == NOW  # floor(now)
    assert claims["exp"] == NOW + 100
    jti = uuid.UUID(claims["jti"])
    assert (jti.version, jti.variant, str(jti)) == (4, uuid.RFC_4122, claims["jti"])
    assert claims["sub"] == "1"


def test_codec_rotation_and_salt() -> None:
    old = agjwt.JWTCodec("old").encode({"sub": "1"}, now=NOW)
    ring = agjwt.JWTCodec(["new", "old"])
    assert ring.decode(old, now=NOW)["sub"] == "1"
    fresh = ring.encode({"sub": "2"}, now=NOW)
    assert agjwt.decode(fresh, "new", now=NOW)["sub"] == "2"
    with pytest.raises(TokenError):
        agjwt.decode(fresh, "old", now=NOW)
    salted = agjwt.JWTCodec("s", salt="next-auth.state").encode({"v": 1}, now=NOW)
    with pytest.raises(TokenError):
        agjwt.decode(salted, "s", now=NOW)
    assert agjwt.decode(salted, "s", salt="next-auth.state", now=NOW)["v"] == 1


@pytest.mark.parametrize("secret", ["", [], [""], ["ok", ""], [1]])
def test_empty_or_invalid_secret_is_a_programming_error(secret: Any) -> None:
    with pytest.raises(ValueError, match="secret"):
        agjwt.encode({}, secret)


# -- refusals -----------------------------------------------------------------------------------


def test_crafted_valid_token_is_accepted() -> None:
    # The control for the refusals below: the same construction with the v4 header works.
    assert agjwt.decode(seal_claims({"sub": "1"}), SECRET, now=NOW) == {"sub": "1"}


@pytest.mark.parametrize(
    "header",
    [
        b'{"alg":"dir","enc":"A128GCM"}',
        b'{"alg":"dir","enc":"A256CBC-HS512"}',
        b'{"alg":"none"}',
        b'{"alg":"none","enc":"A256GCM"}',
        b'{"alg":"A256KW","enc":"A256GCM"}',
        b'{"alg":"dir","enc":"A256GCM","zip":"DEF"}',
        b'{"alg":"dir","enc":"A256GCM","crit":["x"],"x":1}',
        b'{"enc":"A256GCM","alg":"dir"}',
        b'{"alg":"dir","enc":"A256GCM"} ',
        b"",
        b"not json",
    ],
)
def test_other_headers_are_refused_even_when_authenticated(header: bytes) -> None:
    # Encrypted under the right key with this header as AAD: only the allow-list stops it.
    token = seal_claims({"sub": "1"}, header=header)
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET, now=NOW)


@pytest.mark.parametrize(
    "token",
    [
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0",
        f"{V4_HEADER}.",
        f"{V4_HEADER}....",
        f"{V4_HEADER}......",
        "....",
        ".",
        "",
        " ",
    ],
)
def test_not_a_compact_v4_jwe(token: str) -> None:
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET, now=NOW)


def test_six_parts_refused() -> None:
    with pytest.raises(TokenError):
        agjwt.decode(seal_claims({"sub": "1"}) + ".AAAA", SECRET, now=NOW)


def test_non_empty_encrypted_key_refused() -> None:
    token = seal_claims({"sub": "1"}, encrypted_key=b64e(b"\x00" * 32))
    with pytest.raises(TokenError, match="encrypted key"):
        agjwt.decode(token, SECRET, now=NOW)


@pytest.mark.parametrize("index", [2, 3, 4])
@pytest.mark.parametrize("bad", ["!!!!", "A", "AAAAA", "AA==A", "é", "AA AA", "\x00"])
def test_bad_base64_refused(index: int, bad: str) -> None:
    parts = seal_claims({"sub": "1"}).split(".")
    parts[index] = bad
    with pytest.raises(TokenError):
        agjwt.decode(".".join(parts), SECRET, now=NOW)


@pytest.mark.parametrize("iv_len", [0, 8, 11, 13, 16])
def test_wrong_iv_length_refused(iv_len: int) -> None:
    parts = seal_claims({"sub": "1"}).split(".")
    parts[2] = b64e(b"\x01" * iv_len)
    with pytest.raises(TokenError):
        agjwt.decode(".".join(parts), SECRET, now=NOW)


@pytest.mark.parametrize("tag_len", [0, 4, 12, 15, 17])
def test_wrong_tag_length_refused(tag_len: int) -> None:
    parts = seal_claims({"sub": "1"}).split(".")
    parts[4] = b64e(b64d(parts[4])[:tag_len].ljust(tag_len, b"\x00"))
    with pytest.raises(TokenError):
        agjwt.decode(".".join(parts), SECRET, now=NOW)


def test_iv_not_bound_to_another_token() -> None:
    a = seal_claims({"sub": "1"}, iv=b"\x01" * 12).split(".")
    b = seal_claims({"sub": "2"}, iv=b"\x02" * 12).split(".")
    a[2] = b[2]
    with pytest.raises(TokenError):
        agjwt.decode(".".join(a), SECRET, now=NOW)


@pytest.mark.parametrize("size", [MAX_TOKEN_CHARS + 1, 1_000_000])
def test_huge_token_refused(size: int) -> None:
    with pytest.raises(TokenError, match="too large"):
        agjwt.decode("A" * size, SECRET, now=NOW)
    # Also as a well-formed, correctly encrypted token.
    big = seal_claims({"pad": "x" * size})
    assert len(big) > MAX_TOKEN_CHARS
    with pytest.raises(TokenError, match="too large"):
        agjwt.decode(big, SECRET, now=NOW)


def test_largest_allowed_token_is_read() -> None:
    claims = {"pad": "x" * 40_000}
    token = seal_claims(claims)
    assert len(token) <= MAX_TOKEN_CHARS
    assert agjwt.decode(token, SECRET, now=NOW) == claims


# -- exp / nbf / iat ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(-1000, True), (0, True), (14, True), (14.999, True), (15, False), (16, False)],
)
def test_exp_with_15s_tolerance(offset: float, valid: bool) -> None:
    token = agjwt.encode({"sub": "1"}, SECRET, max_age=60, now=NOW)
    exp = NOW + 60
    if valid:
        assert agjwt.decode(token, SECRET, now=exp + offset)["exp"] == exp
    else:
        with pytest.raises(TokenError, match="exp"):
            agjwt.decode(token, SECRET, now=exp + offset)


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(1000, True), (0, True), (-15, True), (-15.001, False), (-16, False), (-1000, False)],
)
def test_nbf_with_15s_tolerance(offset: float, valid: bool) -> None:
    nbf = NOW
    token = seal_claims({"sub": "1", "nbf": nbf})
    if valid:
        assert agjwt.decode(token, SECRET, now=nbf + offset)["nbf"] == nbf
    else:
        with pytest.raises(TokenError, match="nbf"):
            agjwt.decode(token, SECRET, now=nbf + offset)


def test_without_exp_a_token_does_not_expire() -> None:
    # As jose: exp is optional (next-auth always sets it).
    assert agjwt.decode(seal_claims({"sub": "1"}), SECRET, now=4e9)["sub"] == "1"


def test_float_exp_is_a_number() -> None:
    token = seal_claims({"exp": NOW + 0.5})
    assert agjwt.decode(token, SECRET, now=NOW)["exp"] == NOW + 0.5


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1800000000", True, False, None, [1], {"n": 1}])
def test_non_numeric_time_claims_refused(claim: str, value: Any) -> None:
    # jose (next-auth): '"exp" claim must be a number' - including for null.
    with pytest.raises(TokenError, match=claim):
        agjwt.decode(seal_claims({claim: value}), SECRET, now=NOW)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_json_numbers_refused(claim: str, literal: bytes) -> None:
    # Not JSON (RFC 8259); next-auth's JSON.parse refuses them. An exp of NaN or Infinity
    # would otherwise make a token that never expires.
    payload = b'{"sub":"1","' + claim.encode() + b'":' + literal + b"}"
    with pytest.raises(TokenError):
        agjwt.decode(seal(payload), SECRET, now=NOW)


def test_encode_refuses_non_json_numbers() -> None:
    with pytest.raises(ValueError, match="JSON"):
        agjwt.encode({"score": math.nan}, SECRET)


# -- payloads -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [b"[1,2]", b'"str"', b"1", b"null", b"true", b"", b"{", b"not json", b"\xff\xfe", b"[" * 5000],
)
def test_non_object_payload_refused(payload: bytes) -> None:
    with pytest.raises(TokenError):
        agjwt.decode(seal(payload), SECRET, now=NOW)


def test_unicode_payload_round_trips() -> None:
    claims = {"name": "Zoë ✓ 漢字 🚀", "nested": {"a": [1, None, True, 2.5]}}
    token = agjwt.encode(claims, SECRET, now=NOW)
    decoded = agjwt.decode(token, SECRET, now=NOW)
    assert {k: decoded[k] for k in claims} == claims


# -- get_token ----------------------------------------------------------------------------------


@pytest.fixture
def token() -> str:
    return agjwt.encode({"sub": "1", "name": "Ada"}, SECRET, now=NOW)


def test_get_token_from_cookie(token: str) -> None:
    claims = agjwt.get_token(cookie_request(("next-auth.session-token", token)), SECRET, now=NOW)
    assert isinstance(claims, dict)
    assert claims["name"] == "Ada"


def test_get_token_raw(token: str) -> None:
    request = cookie_request(("next-auth.session-token", token))
    assert agjwt.get_token(request, SECRET, raw=True, now=NOW) == token
    # raw does not decode: even a wrong secret returns the string.
    assert agjwt.get_token(request, "other", raw=True) == token


def test_get_token_from_chunked_cookie() -> None:
    token = agjwt.encode({"sub": "1", "pad": "p" * 6000}, SECRET, now=NOW)
    chunks = [token[i : i + 3933] for i in range(0, len(token), 3933)]
    assert len(chunks) >= 3
    # Out of order in the header; sorted by index.
    pairs = [(f"next-auth.session-token.{i}", c) for i, c in reversed(list(enumerate(chunks)))]
    claims = agjwt.get_token(cookie_request(*pairs), SECRET, now=NOW)
    assert isinstance(claims, dict)
    assert claims["pad"] == "p" * 6000


def test_chunks_sort_numerically() -> None:
    token = agjwt.encode({"sub": "1"}, SECRET, now=NOW)
    pieces = [token[i : i + 10] for i in range(0, len(token), 10)]
    assert len(pieces) > 10  # so ".10" must come after ".9", not after ".1"
    pairs = [(f"next-auth.session-token.{i}", p) for i, p in enumerate(pieces)]
    assert agjwt.get_token(cookie_request(*pairs), SECRET, raw=True) == token


def test_get_token_bearer(token: str) -> None:
    request = cookie_request(headers=(("authorization", f"Bearer {token}"),))
    claims = agjwt.get_token(request, SECRET, now=NOW)
    assert isinstance(claims, dict)
    assert claims["sub"] == "1"


def test_get_token_bearer_percent_encoded(token: str) -> None:
    encoded = quote(token, safe="").replace(".", "%2E").replace("-", "%2D")
    assert encoded != token
    request = cookie_request(headers=(("authorization", f"Bearer {encoded}"),))
    assert agjwt.get_token(request, SECRET, raw=True) == token
    claims = agjwt.get_token(request, SECRET, now=NOW)
    assert isinstance(claims, dict)
    assert claims["sub"] == "1"


@pytest.mark.parametrize("value", ["%FF%FE", "%E0%A4%A", "abc%C3", "%ZZ", "%"])
def test_get_token_bearer_malformed_percent_is_none(value: str) -> None:
    request = cookie_request(headers=(("authorization", f"Bearer {value}"),))
    assert agjwt.get_token(request, SECRET, now=NOW) is None


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer ", "Token x", ""])
def test_get_token_other_authorization_is_none(header: str) -> None:
    request = cookie_request(headers=(("authorization", header),))
    assert agjwt.get_token(request, SECRET, now=NOW) is None


def test_cookie_wins_over_bearer(token: str) -> None:
    other = agjwt.encode({"sub": "2"}, SECRET, now=NOW)
    request = cookie_request(
        ("next-auth.session-token", token), headers=(("authorization", f"Bearer {other}"),)
    )
    claims = agjwt.get_token(request, SECRET, now=NOW)
    assert isinstance(claims, dict)
    assert claims["sub"] == "1"


def test_get_token_invalid_token_is_none(token: str) -> None:
    assert agjwt.get_token(cookie_request(("next-auth.session-token", "junk")), SECRET) is None
    assert agjwt.get_token(cookie_request(("next-auth.session-token", token)), "wrong") is None
    expired = cookie_request(("next-auth.session-token", token))
    assert agjwt.get_token(expired, SECRET, now=NOW + DEFAULT_MAX_AGE + 15) is None
    assert agjwt.get_token(cookie_request(), SECRET) is None


def test_get_token_secure_cookie_name(token: str) -> None:
    secure = cookie_request(("__Secure-next-auth.session-token", token))
    plain = cookie_request(("next-auth.session-token", token))
    assert agjwt.get_token(secure, SECRET, now=NOW) is None
    assert isinstance(agjwt.get_token(secure, SECRET, secure_cookie=True, now=NOW), dict)
    assert agjwt.get_token(plain, SECRET, secure_cookie=True, now=NOW) is None
    assert isinstance(agjwt.get_token(plain, SECRET, now=NOW), dict)


def test_get_token_custom_cookie_name(token: str) -> None:
    request = cookie_request(("my-session", token))
    assert agjwt.get_token(request, SECRET, now=NOW) is None
    claims = agjwt.get_token(request, SECRET, cookie_name="my-session", now=NOW)
    assert isinstance(claims, dict)
    assert claims["sub"] == "1"


def test_get_token_percent_encoded_cookie(token: str) -> None:
    # Cookie values are percent-decoded on read, as the ``cookie`` npm package does.
    encoded = token.replace(".", "%2E")
    claims = agjwt.get_token(cookie_request(("next-auth.session-token", encoded)), SECRET, now=NOW)
    assert isinstance(claims, dict)


def test_get_token_with_rotated_secrets(token: str) -> None:
    request = cookie_request(("next-auth.session-token", token))
    claims = agjwt.get_token(request, ["newer", SECRET], now=NOW)
    assert isinstance(claims, dict)
