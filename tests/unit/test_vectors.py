"""authgate decodes tokens minted by the real next-auth 4.24.15 (committed vectors, no node).

The vectors come from ``tests/interop/make_vectors.py``; its docstring says how to regenerate.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from authgate import AuthRequest
from authgate import jwt as agjwt
from authgate.errors import TokenError

VECTORS_FILE = Path(__file__).resolve().parents[1] / "interop" / "vectors" / "nextauth-v4.json"
DOCUMENT = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DOCUMENT["vectors"]


def by_name(vector: dict[str, Any]) -> str:
    return str(vector["name"])


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def flip(part: str, index: int = 0) -> str:
    """The same segment with one bit of its decoded bytes flipped."""
    data = bytearray(b64d(part))
    data[index] ^= 0x01
    return b64e(bytes(data))


def test_document_metadata() -> None:
    assert DOCUMENT["next_auth_version"] == "4.24.15"
    assert len(VECTORS) >= 6
    assert any(v["salt"] for v in VECTORS)
    assert any(not v["salt"] for v in VECTORS)
    assert any(len(v["token"]) > 4096 for v in VECTORS)


@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
def test_vector_decodes(vector: dict[str, Any]) -> None:
    claims = agjwt.decode(vector["token"], vector["secret"], salt=vector["salt"], now=vector["now"])
    assert claims == vector["claims"]
    assert claims["exp"] - claims["iat"] == vector["max_age"]


@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
def test_vector_format(vector: dict[str, Any]) -> None:
    parts = vector["token"].split(".")
    assert len(parts) == 5
    assert json.loads(b64d(parts[0])) == {"alg": "dir", "enc": "A256GCM"}
    assert parts[1] == ""
    assert len(b64d(parts[2])) == 12
    assert len(b64d(parts[4])) == 16


@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
def test_vector_expiry_uses_15s_tolerance(vector: dict[str, Any]) -> None:
    token, secret, salt = vector["token"], vector["secret"], vector["salt"]
    exp = vector["claims"]["exp"]
    assert agjwt.decode(token, secret, salt=salt, now=exp + 14)["exp"] == exp
    with pytest.raises(TokenError):
        agjwt.decode(token, secret, salt=salt, now=exp + 15)


@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
@pytest.mark.parametrize("where", ["iv", "ciphertext", "ciphertext-end", "tag", "header"])
def test_tampered_vector_is_refused(vector: dict[str, Any], where: str) -> None:
    parts = vector["token"].split(".")
    if where == "iv":
        parts[2] = flip(parts[2])
    elif where == "ciphertext":
        parts[3] = flip(parts[3])
    elif where == "ciphertext-end":
        parts[3] = flip(parts[3], -1) if parts[3] else "AA"
    elif where == "tag":
        parts[4] = flip(parts[4], 15)
    else:
        parts[0] = b64e(b'{"alg":"dir","enc":"A256GCM" }')
    tampered = ".".join(parts)
    assert tampered != vector["token"]
    with pytest.raises(TokenError):
        agjwt.decode(tampered, vector["secret"], salt=vector["salt"], now=vector["now"])


@pytest.mark.parametrize("vector", VECTORS, ids=by_name)
def test_vector_refused_with_other_secret_or_salt(vector: dict[str, Any]) -> None:
    token, secret, salt, now = (vector[k] for k in ("token", "secret", "salt", "now"))
    with pytest.raises(TokenError):
        agjwt.decode(token, secret + "x", salt=salt, now=now)
    with pytest.raises(TokenError):
        agjwt.decode(token, secret, salt="next-auth.other" if salt else "next-auth.state", now=now)
    # Rotation: the right secret anywhere in the list opens it.
    assert agjwt.decode(token, ["new-secret", secret], salt=salt, now=now) == vector["claims"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if not v["salt"]], ids=by_name)
def test_session_vector_through_get_token(vector: dict[str, Any]) -> None:
    token = vector["token"]
    chunks = [token[i : i + 3933] for i in range(0, len(token), 3933)]
    if len(chunks) == 1:
        cookie = f"next-auth.session-token={token}"
    else:
        cookie = "; ".join(f"next-auth.session-token.{i}={c}" for i, c in enumerate(chunks))
    request = AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])
    assert agjwt.get_token(request, vector["secret"], now=vector["now"]) == vector["claims"]
