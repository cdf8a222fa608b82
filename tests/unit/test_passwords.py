"""authgate.passwords: argon2id, and the same work whether or not the account exists.

Nothing here measures time: a spy counts the argon2 verifications instead.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import pytest
from argon2 import PasswordHasher

from authgate import passwords
from authgate.passwords import (
    hash_password,
    needs_rehash,
    verify_password,
    verify_password_async,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.real_argon2  # authgate's own parameters are under test

H = TypeVar("H")

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


def in_place(monkeypatch: pytest.MonkeyPatch, hasher: H) -> Iterator[H]:
    """``hasher`` as the module's, its dummy hash made anew."""
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    passwords._dummy_hash.cache_clear()
    yield hasher
    passwords._dummy_hash.cache_clear()


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[SpyHasher]:
    yield from in_place(monkeypatch, SpyHasher(FAST))


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


class HeldHasher(SpyHasher):
    """Each verification waits for ``release`` (at most 5 s) and records how many overlap."""

    def __init__(self, inner: Any) -> None:
        super().__init__(inner)
        self.release = threading.Event()
        self.released: list[bool] = []
        self.running = 0
        self.most = 0
        self.two_running = threading.Event()
        self.lock = threading.Lock()

    def verify(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
            if self.running >= 2:
                self.two_running.set()
        try:
            self.released.append(self.release.wait(5))
            return super().verify(password_hash, password)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldHasher]:
    yield from in_place(monkeypatch, HeldHasher(FAST))


@pytest.mark.anyio
async def test_the_async_verification_leaves_the_event_loop_free(held: HeldHasher) -> None:
    stored = FAST.hash("right")

    async def release() -> None:  # runs only if the loop is free while the hash runs
        held.release.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(release)
        assert await verify_password_async(stored, "right") is True
    assert await verify_password_async(stored, "wrong") is False
    assert await verify_password_async(None, "right") is False, "against the dummy hash"
    assert held.released == [True, True, True], "the loop ran while the first one waited"


@pytest.mark.anyio
async def test_at_most_the_bound_run_at_once_sync_or_async(
    held: HeldHasher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passwords, "_BOUND", 2)
    monkeypatch.setattr(passwords, "_RUNNING", threading.BoundedSemaphore(2))
    stored = FAST.hash("right")
    answers: list[bool] = []

    async def one_async() -> None:
        answers.append(await verify_password_async(stored, "right"))

    async def one_in_a_thread() -> None:  # a sync authorize, which runs in a worker thread
        answers.append(await anyio.to_thread.run_sync(verify_password, stored, "right"))

    async def release_when_full() -> None:
        assert await anyio.to_thread.run_sync(held.two_running.wait, 5)
        await anyio.sleep(0.05)  # a third one would have started by now
        held.release.set()

    async with anyio.create_task_group() as tasks:
        for _ in range(4):
            tasks.start_soon(one_async)
            tasks.start_soon(one_in_a_thread)
        tasks.start_soon(release_when_full)
    assert answers == [True] * 8
    assert held.most == 2
