"""id_token verification (``authgate._crypto.idtoken``) on its own: keys, algorithms, claims."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

from authgate._crypto.idtoken import IdTokenError, UnknownKeyError, verify_id_token

NOW = 1_800_000_000
ISSUER = "https://idp.example"
RSA = RSAKey.generate_key(2048, {"kid": "r1"})
EC = ECKey.generate_key("P-256", {"kid": "e1"})
OKP = OKPKey.generate_key("Ed25519", {"kid": "o1"})
SECRET = "a-client-secret-that-is-long-enough-0123456789"
ALGS = ("RS256", "ES256", "EdDSA", "Ed25519")


def claims(**extra: Any) -> dict[str, Any]:
    base = {"iss": ISSUER, "sub": "u1", "aud": "client", "iat": NOW, "exp": NOW + 60, "nonce": "n"}
    base.update(extra)
    return {k: v for k, v in base.items() if v is not None}


def sign(key: Any, alg: str, body: dict[str, Any] | None = None, **header: Any) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc: "EdDSA is deprecated via RFC 9864"
        return jwt.encode({"alg": alg, **header}, body or claims(), key, algorithms=[alg])


def verify(token: str, **kw: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "jwks": {"keys": [RSA.as_dict(), EC.as_dict(), OKP.as_dict()]},
        "algorithms": ALGS,
        "issuer": ISSUER,
        "client_id": "client",
        "now": NOW,
        "nonce": "n",
    }
    options.update(kw)
    return verify_id_token(token, **options)


@pytest.mark.parametrize(
    ("key", "alg"), [(RSA, "RS256"), (EC, "ES256"), (OKP, "EdDSA"), (OKP, "Ed25519")]
)
def test_each_allowed_algorithm(key: Any, alg: str) -> None:
    assert verify(sign(key, alg, kid=key.kid))["sub"] == "u1"


def test_a_token_without_kid_tries_the_keys_of_its_type() -> None:
    assert verify(sign(EC, "ES256"))["sub"] == "u1"


def test_unknown_kid_or_key_type() -> None:
    with pytest.raises(UnknownKeyError):
        verify(sign(RSAKey.generate_key(2048), "RS256", kid="other"))
    with pytest.raises(UnknownKeyError):
        verify(sign(RSA, "RS256", kid="r1"), jwks={"keys": [EC.as_dict()]})
    with pytest.raises(UnknownKeyError):
        verify(sign(RSA, "RS256", kid="r1"), jwks=None)


def test_wrong_signature_with_the_right_kid() -> None:
    impostor = RSAKey.generate_key(2048, {"kid": "r1"})
    with pytest.raises(IdTokenError, match="signature"):
        verify(sign(impostor, "RS256", kid="r1"))


def test_hs256_only_when_allowed_and_with_the_secret() -> None:
    token = sign(OctKey.import_key(SECRET), "HS256")
    with pytest.raises(IdTokenError, match="alg"):
        verify(token)  # not in the allow-list
    with pytest.raises(IdTokenError, match="alg"):
        verify(token, algorithms=("HS256",))  # no secret
    assert verify(token, algorithms=("HS256",), client_secret=SECRET, jwks=None)["sub"] == "u1"


@pytest.mark.parametrize(
    "token",
    ["", "a.b", "not-a-jwt", "e30.e30.", "x" * 20000],
    ids=["empty", "two-parts", "garbage", "alg-missing", "huge"],
)
def test_malformed_tokens(token: str) -> None:
    with pytest.raises(IdTokenError):
        verify(token)


def test_unusable_jwks() -> None:
    with pytest.raises(IdTokenError, match="JWKS"):
        verify(sign(RSA, "RS256", kid="r1"), jwks={"keys": "nope"})


def test_non_string_kid() -> None:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'RS256', 'kid': 7})}.{part(claims())}.c2ln"
    with pytest.raises(IdTokenError):
        verify(token)


@pytest.mark.parametrize(
    "body",
    [
        claims(iss="https://evil.example"),
        claims(aud="other"),
        claims(aud=["client", "other"]),
        claims(aud=["client", "other"], azp="other"),
        claims(azp="other"),
        claims(exp=NOW - 11),
        claims(iat=NOW + 11),
        claims(nonce="other"),
        claims(nonce=None),
        claims(sub=None),
        claims(exp=None),
        claims(iat=None),
    ],
    ids=[
        "iss",
        "aud",
        "aud-no-azp",
        "azp-wrong",
        "azp-single",
        "expired",
        "future",
        "nonce",
        "no-nonce",
        "no-sub",
        "no-exp",
        "no-iat",
    ],
)
def test_claims(body: dict[str, Any]) -> None:
    with pytest.raises(IdTokenError, match="claim"):
        verify(sign(RSA, "RS256", body, kid="r1"))


def test_clock_leeway_and_optional_nonce() -> None:
    assert verify(sign(RSA, "RS256", claims(exp=NOW - 5, iat=NOW + 5), kid="r1"))
    assert verify(sign(RSA, "RS256", claims(aud=["client", "x"], azp="client"), kid="r1"))
    assert verify(sign(RSA, "RS256", claims(nonce=None), kid="r1"), nonce=None)


def test_entra_multi_tenant_issuer() -> None:
    template = "https://login.microsoftonline.com/{tenantid}/v2.0"
    tenant = "9188040d-6c67-4c5b-b112-36a304b66dad"
    good = claims(iss=f"https://login.microsoftonline.com/{tenant}/v2.0", tid=tenant)
    assert verify(sign(RSA, "RS256", good, kid="r1"), issuer=template)["tid"] == tenant
    for bad in (
        claims(iss=f"https://login.microsoftonline.com/{tenant}/v2.0", tid="another"),
        claims(iss=f"https://login.microsoftonline.com/{tenant}/v2.0"),
        claims(iss="https://login.microsoftonline.com/a/b/v2.0", tid="a/b"),
    ):
        with pytest.raises(IdTokenError):
            verify(sign(RSA, "RS256", bad, kid="r1"), issuer=template)
