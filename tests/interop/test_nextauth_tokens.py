"""Session tokens travel both ways between authgate and the real next-auth 4.24.15 (node).

Every test here calls ``next-auth/jwt`` through ``node/jwt.mjs`` (see ``nextauth_node``); on a
developer machine without node they skip, in CI they fail (``_support.components``).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import unquote, urlencode

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from authgate import AuthConfig, AuthGate, AuthRequest, AuthResponse, JWTConfig
from authgate import jwt as agjwt
from authgate._crypto.jwe import V4_HEADER, DirectA256GCM
from authgate._crypto.keys import v4_key
from authgate.errors import TokenError
from authgate.providers import Credentials
from interop import nextauth_node
from interop.nextauth_node import NextAuthError

pytestmark = [pytest.mark.interop, pytest.mark.anyio]

SECRET = "interop-secret-3f9a1c0b7e"
OLD_SECRET = "interop-old-secret-1d2e"
BASE = "http://localhost:3000"
SESSION_COOKIE = "next-auth.session-token"
STATE_SALT = "next-auth.state"

CLAIMS: dict[str, Any] = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "picture": "https://example.com/ada.png",
    "sub": "42",
    "role": "admin",
    "groups": ["eng", "ops"],
    "nested": {"a": 1, "b": [True, None, 2.5]},
    "unicode": "héllo wörld ✓ 漢字 🚀",
}


def authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    if credentials.get("username") == "ada" and credentials.get("password") == "pw":
        return {"id": 7, "name": "Ada", "email": "ada@example.com", "image": "https://i.example"}
    return None


def make_gate(secret: str | list[str] = SECRET, **config: Any) -> AuthGate:
    provider = Credentials(
        authorize=authorize,
        credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
    )
    return AuthGate(
        AuthConfig(providers=[provider], secret=secret, url=f"{BASE}/api/auth", **config)
    )


def request(
    method: str,
    action: str,
    *,
    cookies: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> AuthRequest:
    headers = [("host", "localhost:3000")]
    if cookies:
        headers.append(("cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
    body = b""
    if form is not None:
        headers.append(("content-type", "application/x-www-form-urlencoded"))
        body = urlencode(form).encode()
    return AuthRequest.build(method=method, path=f"/api/auth/{action}", headers=headers, body=body)


def set_cookies(response: AuthResponse) -> dict[str, str]:
    """Name -> decoded value of every ``Set-Cookie`` header, as a browser would store it."""
    out: dict[str, str] = {}
    for header in response.set_cookie_headers():
        pair = header.split(";", 1)[0]
        name, _, value = pair.partition("=")
        out[name] = unquote(value)
    return out


def expect_claims(decoded: dict[str, Any], claims: dict[str, Any], max_age: int) -> None:
    assert {k: v for k, v in decoded.items() if k not in ("iat", "exp", "jti")} == claims
    assert isinstance(decoded["iat"], int)
    assert decoded["exp"] == decoded["iat"] + max_age
    assert abs(decoded["iat"] - time.time()) < 60
    assert uuid.UUID(decoded["jti"]).version == 4


# -- authgate -> next-auth ----------------------------------------------------------------------


def test_authgate_token_decodes_in_nextauth() -> None:
    token = agjwt.encode(CLAIMS, SECRET, max_age=3600)
    decoded = nextauth_node.decode(token, SECRET)
    assert decoded is not None
    # Every claim, including iat/exp/jti, is what authgate itself reads back.
    assert decoded == agjwt.decode(token, SECRET)
    expect_claims(decoded, CLAIMS, 3600)


def test_authgate_default_max_age_is_30_days_for_nextauth() -> None:
    decoded = nextauth_node.decode(agjwt.encode({"sub": "1"}, SECRET), SECRET)
    assert decoded is not None
    assert decoded["exp"] - decoded["iat"] == 30 * 24 * 60 * 60


@pytest.mark.parametrize("secret", ["sécret-ünïcode-✓", "x", "a" * 200])
def test_secrets_are_utf8_on_both_sides(secret: str) -> None:
    decoded = nextauth_node.decode(agjwt.encode({"sub": "1"}, secret), secret)
    assert decoded is not None
    assert decoded["sub"] == "1"
    assert agjwt.decode(nextauth_node.encode({"sub": "2"}, secret), secret)["sub"] == "2"


# -- next-auth -> authgate ----------------------------------------------------------------------


def test_nextauth_token_decodes_in_authgate() -> None:
    token = nextauth_node.encode(CLAIMS, SECRET, 7200)
    assert token.startswith(f"{V4_HEADER}..")
    decoded = agjwt.decode(token, SECRET)
    expect_claims(decoded, CLAIMS, 7200)


async def test_nextauth_token_is_a_session_for_authgate() -> None:
    token = nextauth_node.encode(CLAIMS, SECRET)
    gate = make_gate()
    response = await gate.handle(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert response.status == 200
    body = json.loads(response.body)
    assert body["user"] == {
        "name": CLAIMS["name"],
        "email": CLAIMS["email"],
        "image": CLAIMS["picture"],
    }
    assert body["expires"].endswith("Z")
    # The refreshed cookie is again a token next-auth reads, with every custom claim kept.
    reissued = set_cookies(response)[SESSION_COOKIE]
    decoded = nextauth_node.decode(reissued, SECRET)
    assert decoded is not None
    expect_claims(decoded, CLAIMS, 30 * 24 * 60 * 60)
    # And the server-side helper agrees.
    session = await gate.get_session(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert session is not None
    assert session["user"] == body["user"]


# -- chunked session cookies -----------------------------------------------------------------------


async def test_large_session_is_chunked_and_reassembled_by_nextauth() -> None:
    big = {**CLAIMS, "blob": "x" * 3500, "list": [f"item-{i}" for i in range(100)]}
    token = agjwt.encode(big, SECRET)
    assert len(token) > 4096
    gate = make_gate()
    # Sent whole (e.g. by a client that ignores chunking), answered chunked.
    response = await gate.handle(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert response.status == 200
    cookies = set_cookies(response)
    assert cookies[SESSION_COOKIE] == ""  # the unchunked cookie is deleted
    chunks = [cookies[f"{SESSION_COOKIE}.0"], cookies[f"{SESSION_COOKIE}.1"]]
    assert f"{SESSION_COOKIE}.2" not in cookies
    assert len(chunks[0]) == 3933
    assert all(0 < len(c) <= 3933 for c in chunks)
    reassembled = "".join(chunks)
    decoded = nextauth_node.decode(reassembled, SECRET)
    assert decoded is not None
    expect_claims(decoded, big, 30 * 24 * 60 * 60)

    # The chunks, sent back as a browser would, are a session again.
    again = await gate.handle(
        request(
            "GET",
            "session",
            cookies={f"{SESSION_COOKIE}.1": chunks[1], f"{SESSION_COOKIE}.0": chunks[0]},
        )
    )
    assert json.loads(again.body)["user"]["name"] == CLAIMS["name"]


async def test_large_nextauth_token_sent_in_chunks_is_a_session() -> None:
    big = {**CLAIMS, "blob": "y" * 4000}
    token = nextauth_node.encode(big, SECRET)
    parts = [token[i : i + 3933] for i in range(0, len(token), 3933)]
    assert len(parts) == 2
    gate = make_gate()
    cookies = {f"{SESSION_COOKIE}.{i}": p for i, p in enumerate(parts)}
    response = await gate.handle(request("GET", "session", cookies=cookies))
    assert json.loads(response.body)["user"]["email"] == CLAIMS["email"]


# -- salts (check cookies) -----------------------------------------------------------------------


def test_salted_token_authgate_to_nextauth() -> None:
    token = agjwt.encode({"value": "state-123"}, SECRET, salt=STATE_SALT, max_age=900)
    decoded = nextauth_node.decode(token, SECRET, salt=STATE_SALT)
    assert decoded is not None
    assert decoded["value"] == "state-123"
    assert decoded["exp"] - decoded["iat"] == 900
    # The salt is part of the key: a session-token key (salt "") does not open it.
    with pytest.raises(NextAuthError):
        nextauth_node.decode(token, SECRET)
    with pytest.raises(NextAuthError):
        nextauth_node.decode(token, SECRET, salt="next-auth.pkce.code_verifier")


def test_salted_token_nextauth_to_authgate() -> None:
    token = nextauth_node.encode({"value": "state-456"}, SECRET, 900, salt=STATE_SALT)
    decoded = agjwt.decode(token, SECRET, salt=STATE_SALT)
    assert decoded["value"] == "state-456"
    assert decoded["exp"] - decoded["iat"] == 900
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET)
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET, salt="next-auth.nonce")


async def test_salted_check_token_is_never_a_session() -> None:
    token = nextauth_node.encode({"sub": "1", "name": "x"}, SECRET, salt=STATE_SALT)
    response = await make_gate().handle(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert json.loads(response.body) == {}


# -- wrong and rotated secrets -------------------------------------------------------------------


def test_wrong_secret_refused_by_nextauth() -> None:
    token = agjwt.encode(CLAIMS, SECRET)
    with pytest.raises(NextAuthError):
        nextauth_node.decode(token, "another-secret")


async def test_wrong_secret_refused_by_authgate() -> None:
    token = nextauth_node.encode(CLAIMS, "another-secret")
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET)
    response = await make_gate().handle(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert response.status == 200
    assert json.loads(response.body) == {}
    # The unreadable cookie is cleared.
    assert set_cookies(response)[SESSION_COOKIE] == ""


async def test_rotated_secret_reads_old_nextauth_token_and_reissues_with_new() -> None:
    token = nextauth_node.encode(CLAIMS, OLD_SECRET)
    assert agjwt.decode(token, [SECRET, OLD_SECRET])["sub"] == CLAIMS["sub"]
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET)

    gate = make_gate([SECRET, OLD_SECRET])
    response = await gate.handle(request("GET", "session", cookies={SESSION_COOKIE: token}))
    assert json.loads(response.body)["user"]["name"] == CLAIMS["name"]
    reissued = set_cookies(response)[SESSION_COOKIE]
    decoded = nextauth_node.decode(reissued, SECRET)  # the first secret encrypts
    assert decoded is not None
    assert decoded["role"] == "admin"
    with pytest.raises(NextAuthError):
        nextauth_node.decode(reissued, OLD_SECRET)


# -- full credentials flow -------------------------------------------------------------------------


async def test_credentials_sign_in_cookie_decodes_in_nextauth() -> None:
    gate = make_gate(jwt=JWTConfig(max_age=86400))
    csrf = await gate.handle(request("GET", "csrf"))
    assert csrf.status == 200
    token = json.loads(csrf.body)["csrfToken"]
    jar = set_cookies(csrf)
    assert "next-auth.csrf-token" in jar

    response = await gate.handle(
        request(
            "POST",
            "callback/credentials",
            cookies={"next-auth.csrf-token": jar["next-auth.csrf-token"].replace("|", "%7C")},
            form={"csrfToken": token, "username": "ada", "password": "pw"},
        )
    )
    assert response.status == 302
    assert response.header("location") == BASE
    session_token = set_cookies(response)[SESSION_COOKIE]
    decoded = nextauth_node.decode(session_token, SECRET)
    assert decoded is not None
    expect_claims(
        decoded,
        {"name": "Ada", "email": "ada@example.com", "picture": "https://i.example", "sub": "7"},
        86400,  # sign-in uses jwt.max_age
    )

    # A wrong password sets no session.
    refused = await gate.handle(
        request(
            "POST",
            "callback/credentials",
            cookies={"next-auth.csrf-token": jar["next-auth.csrf-token"].replace("|", "%7C")},
            form={"csrfToken": token, "username": "ada", "password": "nope"},
        )
    )
    assert refused.status == 302
    assert "error=CredentialsSignin" in (refused.header("location") or "")
    assert SESSION_COOKIE not in set_cookies(refused)


# -- both sides refuse the same odd payloads ------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b'{"sub":"1","exp":null}',
        b'{"sub":"1","nbf":null}',
        b'{"sub":"1","iat":"1800000000"}',
        b'{"sub":"1","exp":true}',
        b'{"sub":"1","exp":NaN}',
        b'{"sub":"1","exp":Infinity}',
        b"[1,2]",
        b"null",
        b"not json",
    ],
)
def test_odd_payloads_refused_by_both(payload: bytes) -> None:
    token = DirectA256GCM(v4_key(SECRET)).seal(payload)
    with pytest.raises(NextAuthError):
        nextauth_node.decode(token, SECRET)
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET)


def test_header_allow_list_is_authgate_only_stricter() -> None:
    # jose accepts a reordered but equivalent header; authgate accepts only next-auth's exact
    # header (which is all next-auth ever mints), so nothing next-auth writes is refused.
    header = base64.urlsafe_b64encode(b'{"enc":"A256GCM","alg":"dir"}').rstrip(b"=")
    iv = b"\x07" * 12
    sealed = AESGCM(v4_key(SECRET)).encrypt(iv, b'{"sub":"1"}', header)
    parts = [header, b"", iv, sealed[:-16], sealed[-16:]]
    token = ".".join(
        p.decode() if i == 0 else base64.urlsafe_b64encode(p).rstrip(b"=").decode()
        for i, p in enumerate(parts)
    )
    assert nextauth_node.decode(token, SECRET) == {"sub": "1"}
    with pytest.raises(TokenError):
        agjwt.decode(token, SECRET)
