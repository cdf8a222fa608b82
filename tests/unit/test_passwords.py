"""authgate.passwords: argon2id, and the same work whether or not the account exists.

Nothing here measures time: a spy counts the argon2 verifications instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from argon2 import PasswordHasher

from authgate import passwords
from authgate.passwords import hash_password, needs_rehash, verify_password

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.real_argon2  # authgate's own parameters are under test

# Cheap parameters keep the suite fast; the code path is the same.
FAST = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class SpyHasher:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.verified: list[str] = []

    def hash(self, password: str) -> str:
        result: str = self.inner.hash(password)
        return result

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(password_hash)
        result: bool = self.inner.verify(password_hash, password)
        return result

    def check_needs_rehash(self, password_hash: str) -> bool:
        result: bool = self.inner.check_needs_rehash(password_hash)
        return result


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[SpyHasher]:
    hasher = SpyHasher(FAST)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    passwords._dummy_hash.cache_clear()
    yield hasher
    passwords._dummy_hash.cache_clear()


def test_hash_is_argon2id_and_verifies(spy: SpyHasher) -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse") is True
    assert verify_password(stored, "wrong") is False


@pytest.mark.parametrize(
    ("stored", "password"),
    [
        (None, "anything"),  # no such user
        ("", "anything"),
        ("plaintext-in-the-db", "plaintext-in-the-db"),
        ("$argon2id$v=19$m=8,t=1,p=1$broken", "x"),
        ("$2b$12$bcrypt.hash.we.do.not.read", "x"),
    ],
)
def test_every_refusal_runs_one_argon2_verification(
    spy: SpyHasher, stored: str | None, password: str
) -> None:
    dummy = passwords._dummy_hash()
    assert verify_password(stored, password) is False
    assert spy.verified[-1] == dummy
    assert spy.verified.count(dummy) == 1


@pytest.mark.parametrize("password", [None, ["x"], {"$gt": ""}, 12345])
def test_non_string_passwords_are_refused_after_the_same_work(
    spy: SpyHasher, password: object
) -> None:
    stored = hash_password("x")
    assert verify_password(stored, password) is False
    assert verify_password(None, password) is False
    assert len(spy.verified) == 2


def test_an_unknown_user_and_a_wrong_password_do_the_same_work(spy: SpyHasher) -> None:
    stored = hash_password("right")
    verify_password(stored, "wrong")
    verify_password(None, "wrong")
    assert len(spy.verified) == 2
    # the dummy is made with the same parameters as real hashes
    assert passwords._dummy_hash().split("$")[3] == stored.split("$")[3]


def test_the_dummy_never_matches_its_own_password(spy: SpyHasher) -> None:
    assert verify_password(None, passwords._DUMMY_PASSWORD) is False


def test_needs_rehash() -> None:
    weak = FAST.hash("x")
    assert needs_rehash(weak) is True
    assert needs_rehash("garbage") is True
    assert needs_rehash(hash_password("x")) is False


def test_hash_password_wants_a_string() -> None:
    with pytest.raises(TypeError):
        hash_password(b"bytes")  # type: ignore[arg-type]


def test_hashes_use_authgate_parameters_not_the_suites_cheap_ones() -> None:
    # tests/conftest.py swaps in a cheap hasher for the rest of the suite; this module is
    # marked real_argon2, so what ships is checked here.
    assert hash_password("x").split("$")[3] == "m=65536,t=3,p=4"
