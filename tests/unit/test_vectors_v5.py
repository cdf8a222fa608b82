"""Tokens minted by the real @auth/core (committed in tests/interop/vectors/authjs-v5.json).

Runs without node: authgate alone must decode what Auth.js v5 wrote, claim for claim, and
refuse each under the wrong salt. Regenerate with tests/interop/make_vectors_v5.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from authgate import AuthRequest, jwt
from authgate.errors import TokenError
from authgate.resource import NextAuthSession

FILE = Path(__file__).resolve().parents[1] / "interop" / "vectors" / "authjs-v5.json"
DOCUMENT = json.loads(FILE.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DOCUMENT["vectors"]


def test_the_vectors_come_from_auth_core_0_41() -> None:
    assert DOCUMENT["auth_core_version"].startswith("0.41.")
    assert len(VECTORS) >= 7


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_decodes_to_the_same_claims(vector: dict[str, Any]) -> None:
    claims = jwt.decode(
        vector["token"],
        vector["decode_secret"],
        salt=vector["salt"],
        now=vector["now"],
        profile="authjs-v5",
    )
    assert claims == vector["claims"]
    assert claims["exp"] - claims["iat"] == vector["max_age"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_is_refused_under_another_salt_or_format(vector: dict[str, Any]) -> None:
    other = "authjs.state" if vector["salt"] != "authjs.state" else "authjs.session-token"
    with pytest.raises(TokenError):
        jwt.decode(
            vector["token"],
            vector["decode_secret"],
            salt=other,
            now=vector["now"],
            profile="authjs-v5",
        )
    with pytest.raises(TokenError):
        jwt.decode(vector["token"], vector["decode_secret"], now=vector["now"])


def test_a_check_cookie_vector_is_never_a_session() -> None:
    state = next(v for v in VECTORS if v["salt"] == "authjs.state")
    reader = NextAuthSession(secret=state["decode_secret"], profile="authjs-v5")
    for name in ("authjs.session-token", "__Secure-authjs.session-token"):
        cookie = f"{name}={state['token']}"
        request = AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])
        assert reader.read(request, now=state["now"]) is None


def test_rotated_vector_needs_the_secret_that_made_it() -> None:
    rotated = next(v for v in VECTORS if v["name"] == "session-rotated")
    with pytest.raises(TokenError):
        jwt.decode(
            rotated["token"],
            "old-secret",
            salt=rotated["salt"],
            now=rotated["now"],
            profile="authjs-v5",
        )
