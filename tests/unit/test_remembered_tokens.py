"""Session codecs remember the claims of recent tokens: a token seen again is not decrypted again.

Every check but the decryption still runs on each decode (expiry here; the revocation store in
tests/blackbox/test_revocation.py and test_remembered_sessions below).
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from authgate import AuthConfig, AuthGate, AuthRequest
from authgate._crypto.jwe import KeyRing
from authgate._crypto.keys import v4_key
from authgate._crypto.remembered import MAX_REMEMBERED_CHARS, RememberingRing
from authgate.errors import TokenError
from authgate.jwt import CLOCK_TOLERANCE, JWTCodec
from authgate.providers.credentials import Credentials
from authgate.revocation import MemoryRevocationStore

SECRET = "remembered-tokens-secret-0123456789abcdef"
NOW = 1_800_000_000.0
CLAIMS = {"name": "Ada", "email": "ada@example.com", "sub": "1"}


class CountingRing:
    """A real key ring that counts the decryptions it does."""

    IV_BYTES = KeyRing.IV_BYTES

    def __init__(self) -> None:
        self.ring = KeyRing([v4_key(SECRET, "")])
        self.opened = 0

    def seal_json(self, claims: dict[str, Any], iv: bytes | None = None) -> str:
        return self.ring.seal_json(claims, iv)

    def open_json(self, token: str) -> dict[str, Any]:
        self.opened += 1
        return self.ring.open_json(token)


def test_a_token_opened_again_is_not_decrypted_again_and_each_caller_gets_its_own_copy() -> None:
    inner = CountingRing()
    token = inner.seal_json({**CLAIMS, "exp": 2})  # sealed by the inner ring: not remembered
    ring = RememberingRing(inner)
    first = ring.open_json(token)
    first["name"] = "changed by a callback"
    second = ring.open_json(token)
    assert second == {**CLAIMS, "exp": 2}
    assert second is not first
    assert inner.opened == 1


def test_a_token_it_sealed_opens_without_decryption() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner)
    token = ring.seal_json({**CLAIMS, "exp": 2, "ratio": 0.5, "admin": False, "x": None})
    assert ring.open_json(token) == {**CLAIMS, "exp": 2, "ratio": 0.5, "admin": False, "x": None}
    assert inner.opened == 0


def test_a_token_that_differs_in_one_character_is_decrypted_and_refused() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner)
    token = ring.seal_json(dict(CLAIMS))
    ring.open_json(token)
    cut = token.rsplit(".", 1)
    forged = f"{cut[0]}.{'A' if cut[1][0] != 'A' else 'B'}{cut[1][1:]}"
    with pytest.raises(ValueError, match="decryption failed"):
        ring.open_json(forged)
    assert inner.opened == 1
    with pytest.raises(ValueError, match="decryption failed"):
        ring.open_json(forged)  # a refused token is never remembered
    assert inner.opened == 2


def test_nested_claims_are_decrypted_every_time() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner)
    token = ring.seal_json({**CLAIMS, "user": {"roles": ["admin"]}})
    first = ring.open_json(token)
    first["user"]["roles"].append("changed")
    assert ring.open_json(token)["user"] == {"roles": ["admin"]}
    assert inner.opened == 2


def test_long_tokens_are_not_remembered() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner)
    token = ring.seal_json({**CLAIMS, "blob": "x" * MAX_REMEMBERED_CHARS})
    ring.open_json(token)
    ring.open_json(token)
    assert inner.opened == 2


def test_it_keeps_at_most_its_limit_and_forgets_the_oldest_first() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner, limit=2)
    tokens = [ring.seal_json({**CLAIMS, "n": n}) for n in range(3)]
    assert len(ring._claims) == 2
    assert ring.open_json(tokens[2])["n"] == 2
    assert ring.open_json(tokens[1])["n"] == 1
    assert inner.opened == 0
    assert ring.open_json(tokens[0])["n"] == 0
    assert inner.opened == 1, "the oldest was forgotten"


def test_threads_share_it_safely() -> None:
    inner = CountingRing()
    ring = RememberingRing(inner, limit=8)
    tokens = [ring.seal_json({**CLAIMS, "n": n}) for n in range(32)]
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                for n, token in enumerate(tokens):
                    assert ring.open_json(token)["n"] == n
        except (AssertionError, RuntimeError, KeyError) as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(ring._claims) <= 8 + len(threads)


def test_a_remembered_token_still_expires() -> None:
    codec = JWTCodec(SECRET, remember=16)
    token = codec.encode(CLAIMS, max_age=60, now=NOW)
    assert codec.decode(token, now=NOW)["name"] == "Ada"
    assert codec.decode(token, now=NOW + 60 + CLOCK_TOLERANCE - 1)["name"] == "Ada"
    with pytest.raises(TokenError, match="exp"):
        codec.decode(token, now=NOW + 60 + CLOCK_TOLERANCE)


def test_a_codec_that_remembers_reads_what_one_that_does_not_wrote() -> None:
    plain, remembering = JWTCodec(SECRET), JWTCodec(SECRET, remember=16)
    token = plain.encode(CLAIMS, now=NOW)
    assert remembering.decode(token, now=NOW) == plain.decode(token, now=NOW)
    again = remembering.encode(CLAIMS, now=NOW)
    assert plain.decode(again, now=NOW) == remembering.decode(again, now=NOW)


async def _authorize(credentials: dict[str, Any], request: AuthRequest) -> dict[str, Any]:
    return {"id": "1", "name": "Ada"}


@pytest.mark.anyio
async def test_remembered_sessions_are_still_checked_against_the_revocation_store() -> None:
    store = MemoryRevocationStore(clock=lambda: NOW)
    config = AuthConfig(
        providers=[Credentials(authorize=_authorize)],
        secret=SECRET,
        url="http://localhost:3000/api/auth",
        revocation=store,
    )
    gate = AuthGate(config, env={})
    codec = JWTCodec(SECRET)
    token = codec.encode({"sub": "1", "name": "Ada", "sid": "x"}, now=NOW)
    cookie = f"next-auth.session-token={token}"
    request = AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])
    assert await gate.get_session(request, now=NOW) is not None
    assert await gate.get_session(request, now=NOW) is not None  # the remembered claims
    await gate.end_sessions("1", now=NOW + 1)
    assert await gate.get_session(request, now=NOW + 2) is None


def test_claims_that_json_would_change_are_never_answered_from_memory() -> None:
    import enum

    class Role(enum.StrEnum):
        ADMIN = "admin"

    inner = CountingRing()
    ring = RememberingRing(inner)
    tokens = [
        ring.seal_json({**CLAIMS, "role": Role.ADMIN}),
        ring.seal_json({**CLAIMS, 7: "an int key"}),  # type: ignore[dict-item]
        ring.seal_json({**CLAIMS, "pair": (1, 2)}),
    ]
    opened = [ring.open_json(token) for token in tokens]
    assert inner.opened == 3, "each decrypted: the kept claims are not what JSON gives back"
    assert type(opened[0]["role"]) is str
    assert opened[1]["7"] == "an int key"
    assert opened[2]["pair"] == [1, 2]


def test_forget_makes_the_next_decode_decrypt() -> None:
    codec = JWTCodec(SECRET, remember=16)
    token = codec.encode(CLAIMS, now=NOW)
    ring = codec._ring
    assert isinstance(ring, RememberingRing)
    assert token in ring._claims
    codec.forget()
    assert ring._claims == {}
    assert codec.decode(token, now=NOW)["sub"] == "1"
    JWTCodec(SECRET).forget()  # a codec that remembers nothing has nothing to forget


def test_a_token_the_codec_sealed_keeps_its_claims_whatever_the_caller_does_after() -> None:
    codec = JWTCodec(SECRET, remember=16)
    token: dict[str, Any] = {**CLAIMS, "roles": ["reader"]}
    sealed = codec.encode(token, now=NOW)
    token["name"] = "changed after encode"
    token["roles"].append("admin")
    del token["sub"]
    opened = codec.decode(sealed, now=NOW)
    assert opened["name"] == "Ada"
    assert opened["sub"] == "1"
    assert opened["roles"] == ["reader"]
    flat = codec.encode(dict(CLAIMS), now=NOW)
    ring = codec._ring
    assert isinstance(ring, RememberingRing)
    kept = ring._claims[flat][0]
    codec.decode(flat, now=NOW)["name"] = "changed by a callback"
    assert codec.decode(flat, now=NOW)["name"] == "Ada"
    assert ring._claims[flat][0] is kept
