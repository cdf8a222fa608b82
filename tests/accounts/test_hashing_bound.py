"""argon2id runs at once are bounded per gate (``Password(max_concurrent_hashes)``).

Each verification holds 64 MiB while it runs; anyio's default thread pool would run 40 at once.
The hasher is the real one (argon2-cffi, authgate's parameters) wrapped to count how many of
its runs overlap; many parallel sign-ins must never exceed the bound, and all of them succeed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import pytest
from argon2 import PasswordHasher

import authgate.passwords
from authgate.errors import ConfigurationError
from authgate.providers import Password
from blackbox.conftest import SESSION

from .conftest import Mailbox, memory_setup, sign_in, signed_up

if TYPE_CHECKING:
    from collections.abc import Callable

pytestmark = [pytest.mark.anyio, pytest.mark.real_argon2]
T = TypeVar("T")

BOUND = 2
PARALLEL = 8


class CountingHasher(PasswordHasher):
    """authgate's hasher, counting the runs in flight (from the worker threads)."""

    def __init__(self) -> None:
        real = authgate.passwords._HASHER
        super().__init__(
            time_cost=real.time_cost,
            memory_cost=real.memory_cost,
            parallelism=real.parallelism,
            hash_len=real.hash_len,
            salt_len=real.salt_len,
        )
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.runs = 0

    def _counted(self, run: Callable[[], T]) -> T:
        with self._lock:
            self.running += 1
            self.runs += 1
            self.most = max(self.most, self.running)
        try:
            return run()
        finally:
            with self._lock:
                self.running -= 1

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        real = super().hash
        return self._counted(lambda: real(password, salt=salt))

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        real = super().verify
        return self._counted(lambda: real(hash, password))


async def test_parallel_sign_ins_never_hash_more_than_the_bound_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup = memory_setup(max_concurrent_hashes=BOUND)
    emails = [f"user{n}@example.com" for n in range(PARALLEL)]
    for email in emails:
        await signed_up(setup, email)
    hasher = CountingHasher()
    monkeypatch.setattr(authgate.passwords, "_HASHER", hasher)
    clients = [setup.client(client_host=f"198.51.100.{n}") for n in range(PARALLEL)]
    answers: list[Any] = [None] * PARALLEL

    async def one(n: int) -> None:
        answers[n] = await sign_in(clients[n], emails[n])

    async with anyio.create_task_group() as group:
        for n in range(PARALLEL):
            group.start_soon(one, n)

    assert [a.redirect for a in answers] == ["http://localhost:3000"] * PARALLEL
    assert all(SESSION in c.jar for c in clients), "every sign-in succeeded"
    assert hasher.runs >= PARALLEL, "each sign-in verified through the counting hasher"
    assert hasher.most <= BOUND, f"{hasher.most} argon2id runs at once"


def test_the_bound_is_a_positive_int() -> None:
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ConfigurationError, match="max_concurrent_hashes"):
            Password(send_mail=Mailbox(), max_concurrent_hashes=bad)  # type: ignore[arg-type]
    assert Password(send_mail=Mailbox(), max_concurrent_hashes=1).max_concurrent_hashes == 1
