"""Live interop, both directions, with the real ``@auth/core`` (v5) and ``next-auth`` (v4).

Every node call of a test goes through one ``jwt.mjs`` process (``authjs_node.batch``).
Covered: tokens minted by the packages decoded by authgate (claims compared key by key),
tokens minted by authgate decoded by the packages, rotated secrets (``kid``), the packages'
own cookie chunking read by ``NextAuthSession``, and the chunked cookies of an authgate server
read by the packages' ``getToken``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from authgate import AuthRequest, Callbacks
from authgate import jwt as authjwt
from authgate.errors import TokenError
from authgate.resource import NextAuthSession
from blackbox.conftest import Client, make_gate
from interop.authjs_node import batch

pytestmark = [pytest.mark.interop, pytest.mark.anyio]

SECRET = "interop-v5-secret-0123456789abcdef"
V5 = "authjs.session-token"
V5_SECURE = "__Secure-authjs.session-token"
V4 = "next-auth.session-token"

CASES: dict[str, dict[str, Any]] = {
    "default": {"name": "U", "email": "u@x.com", "picture": "http://i", "sub": "1"},
    "custom": {
        "sub": "42",
        "role": "admin",
        "groups": ["eng", "ops"],
        "nested": {"a": 1, "b": [True, None, 2.5]},
        "unicode": "héllo wörld ✓ 漢字 🚀",
    },
    "empty": {},
    "large": {"sub": "9", "blob": "x" * 6000},
}


def assert_same_claims(decoded: dict[str, Any], sent: dict[str, Any], max_age: int) -> None:
    assert {k: v for k, v in decoded.items() if k not in ("iat", "exp", "jti")} == sent
    assert decoded["exp"] - decoded["iat"] == max_age
    assert abs(decoded["iat"] - time.time()) < 120
    assert len(decoded["jti"]) == 36


def test_tokens_of_the_packages_decode_in_authgate() -> None:
    requests: list[dict[str, Any]] = []
    for claims in CASES.values():
        requests.append(
            {"op": "encode", "profile": "authjs-v5", "token": claims, "secret": SECRET}
            | {"salt": V5, "maxAge": 3600}
        )
        requests.append({"op": "encode", "token": claims, "secret": SECRET, "maxAge": 3600})
    requests.append(
        {"op": "encode", "profile": "authjs-v5", "token": CASES["default"], "secret": SECRET}
        | {"salt": V5_SECURE}
    )
    answers = batch(requests)
    for i, claims in enumerate(CASES.values()):
        v5_token, v4_token = answers[2 * i]["jwt"], answers[2 * i + 1]["jwt"]
        decoded = authjwt.decode(v5_token, SECRET, salt=V5, profile="authjs-v5")
        assert_same_claims(decoded, claims, 3600)
        assert_same_claims(authjwt.decode(v4_token, SECRET), claims, 3600)
        with pytest.raises(TokenError):  # formats and salts never cross
            authjwt.decode(v5_token, SECRET, salt=V5_SECURE, profile="authjs-v5")
        with pytest.raises(TokenError):
            authjwt.decode(v5_token, SECRET)
    secure = answers[-1]["jwt"]
    assert_same_claims(
        authjwt.decode(secure, SECRET, salt=V5_SECURE, profile="authjs-v5"),
        CASES["default"],
        30 * 24 * 3600,
    )


def test_tokens_of_authgate_decode_in_the_packages() -> None:
    tokens = []
    requests: list[dict[str, Any]] = []
    for claims in CASES.values():
        v5_token = authjwt.encode(claims, SECRET, salt=V5, max_age=600, profile="authjs-v5")
        v4_token = authjwt.encode(claims, SECRET, max_age=600)
        tokens.append((v5_token, v4_token))
        requests.append({"op": "decode", "profile": "authjs-v5", "jwt": v5_token} | _v5())
        requests.append({"op": "decode", "jwt": v4_token, "secret": SECRET})
        # The other format / salt is refused by the packages too.
        requests.append({"op": "decode", "jwt": v5_token, "secret": SECRET})
        requests.append(
            {"op": "decode", "profile": "authjs-v5", "jwt": v5_token, "secret": SECRET}
            | {"salt": "authjs.state"}
        )
    answers = batch(requests)
    for i, claims in enumerate(CASES.values()):
        v5_answer, v4_answer, cross, state = answers[4 * i : 4 * i + 4]
        v5_local = authjwt.decode(tokens[i][0], SECRET, salt=V5, profile="authjs-v5")
        assert v5_answer["token"] == v5_local
        assert_same_claims(v5_answer["token"], claims, 600)
        assert_same_claims(v4_answer["token"], claims, 600)
        assert "error" in cross
        assert "error" in state


def test_rotated_secrets_both_ways() -> None:
    ours = authjwt.encode({"sub": "r"}, ["new", "old"], salt=V5, profile="authjs-v5")
    ours_v4 = authjwt.encode({"sub": "r"}, ["new", "old"])
    answers = batch(
        [
            {"op": "encode", "profile": "authjs-v5", "token": {"sub": "t"}, "salt": V5}
            | {"secret": ["old", "new"]},
            {"op": "encode", "profile": "authjs-v5", "token": {"sub": "n"}, "salt": V5}
            | {"secret": "new"},
            {"op": "decode", "profile": "authjs-v5", "jwt": ours, "salt": V5}
            | {"secret": ["older", "old", "new"]},
            {"op": "decode", "profile": "authjs-v5", "jwt": ours, "salt": V5, "secret": "old"},
            {"op": "decode", "jwt": ours_v4, "secret": "new"},
        ]
    )
    theirs_old, theirs_new, decoded, refused, v4_decoded = answers
    # @auth/core encodes with the first secret; authgate finds it by kid in any position.
    assert authjwt.decode(theirs_old["jwt"], ["new", "old"], salt=V5, profile="authjs-v5")
    with pytest.raises(TokenError):
        authjwt.decode(theirs_old["jwt"], ["new"], salt=V5, profile="authjs-v5")
    assert authjwt.decode(theirs_new["jwt"], ["old", "new"], salt=V5, profile="authjs-v5")
    assert decoded["token"]["sub"] == "r"
    assert "error" in refused
    assert v4_decoded["token"]["sub"] == "r"


def test_the_packages_chunked_cookies_are_read_by_the_resource_server() -> None:
    big = {"sub": "c", "blob": "z" * 9000}
    answers = batch(
        [
            {"op": "encode", "profile": "authjs-v5", "token": big, "secret": SECRET, "salt": V5},
            {"op": "encode", "token": big, "secret": SECRET},
        ]
    )
    v5_token, v4_token = answers[0]["jwt"], answers[1]["jwt"]
    chunks = batch(
        [
            {"op": "chunk", "profile": "authjs-v5", "name": V5, "value": v5_token},
            {"op": "chunk", "name": V4, "value": v4_token},
        ]
    )
    for profile, answer in zip(("authjs-v5", "nextauth-v4"), chunks, strict=True):
        cookies = answer["cookies"]
        assert len(cookies) >= 3
        header = "; ".join(f"{c['name']}={c['value']}" for c in reversed(cookies))
        request = AuthRequest.build(method="GET", path="/", headers=[("cookie", header)])
        claims = NextAuthSession(secret=SECRET, profile=profile).read(request)  # type: ignore[arg-type]
        assert claims is not None
        assert claims["blob"] == big["blob"]


@pytest.mark.parametrize("profile", ["authjs-v5", "nextauth-v4"])
async def test_an_authgate_server_session_is_read_by_get_token(profile: str) -> None:
    def jwt(token: dict[str, Any]) -> dict[str, Any]:
        return {**token, "blob": "b" * 5000, "role": "admin"}

    client = Client(make_gate(profile=profile, callbacks=Callbacks(jwt=jwt), secret=SECRET))
    client.now = None  # real time: the packages check exp against their clock
    await client.sign_in()
    name = V5 if profile == "authjs-v5" else V4
    chunk_names = sorted(k for k in client.jar if k.startswith(name))
    assert chunk_names == [f"{name}.0", f"{name}.1"]
    cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
    token = authjwt.read_chunked_cookie(client.jar, name)
    assert token
    answers = batch(
        [
            {"op": "getToken", "profile": profile, "cookie": cookie, "secret": SECRET},
            {"op": "getToken", "profile": profile, "secret": SECRET}
            | {"authorization": f"Bearer {token}"},
            {"op": "getToken", "profile": profile, "cookie": cookie, "secret": "wrong"},
        ]
    )
    from_cookie, from_bearer, wrong = answers
    expected = authjwt.decode(
        token,
        SECRET,
        salt=name if profile == "authjs-v5" else "",
        profile=profile,  # type: ignore[arg-type]
    )
    assert from_cookie["token"] == expected
    assert from_bearer["token"] == expected
    assert expected["role"] == "admin"
    assert expected["name"] == "Ada"
    assert wrong["token"] is None


def _v5() -> dict[str, Any]:
    return {"secret": SECRET, "salt": V5}
