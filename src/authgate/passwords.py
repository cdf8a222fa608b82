"""Password hashing for ``authorize`` implementers: argon2id, with equal work for unknown users.

``pip install authgate[passwords]`` (argon2-cffi).

>>> async def authorize(credentials, request):
...     user = await users.find(credentials.get("username"))  # None when there is no such user
...     stored = user.password_hash if user else None
...     if await verify_password_async(stored, credentials.get("password")):
...         return {"id": user.id, "name": user.name}
...     return None

:func:`verify_password` runs a full argon2id verification even when the user does not exist
(against a dummy hash made with the same parameters), so the time a refusal takes does not tell
an attacker which accounts exist (ASVS 6.3.x, NIST SP 800-63B §3.1.1.2). Combine it with the
built-in sign-in throttling (:mod:`authgate.ratelimit`).

A verification takes tens of milliseconds of CPU and 64 MiB while it runs. In ``async`` code
await :func:`verify_password_async`: it runs in a worker thread, so the event loop keeps
answering other requests (session checks) meanwhile. At most ``2 * os.cpu_count()`` hashes
and verifications of these functions run at once in a process (the others wait: in the event
loop for the async one, in their thread for the sync ones), so a burst of sign-ins cannot take
gigabytes. The ``Password`` provider has its own bound, ``Password(max_concurrent_hashes)``.
"""

from __future__ import annotations

import contextlib
import functools
import threading

import anyio.to_thread
from anyio import CapacityLimiter
from anyio.lowlevel import RunVar
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from authgate.providers.password import default_hash_concurrency

__all__ = ["hash_password", "needs_rehash", "verify_password", "verify_password_async"]

_HASHER = PasswordHasher()  # argon2id, RFC 9106 "low memory" profile: 64 MiB, t=3, p=4
_DUMMY_PASSWORD = "authgate dummy password: never matches a real one"

_BOUND = default_hash_concurrency()
_RUNNING = threading.BoundedSemaphore(_BOUND)  # every thread, every event loop
_WAITING: RunVar[CapacityLimiter] = RunVar("authgate_password_threads")  # per event loop


@functools.cache
def _dummy_hash() -> str:
    # Made once per process with the same parameters as real hashes, so verifying against it
    # costs what verifying against a real hash costs.
    return _HASHER.hash(_DUMMY_PASSWORD)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (a PHC string: ``$argon2id$v=19$m=65536,t=3,p=4$...``).

    It blocks for tens of milliseconds: in ``async`` code run it in a worker thread.
    """
    with _RUNNING:
        return _hash_unbounded(password)


def verify_password(password_hash: str | None, password: object) -> bool:
    """Whether ``password`` matches ``password_hash``; ``False`` for every kind of refusal.

    ``password_hash=None`` (no such user), a malformed hash, or a ``password`` that is not a
    string (a hostile form value such as a list) still run one argon2id verification against a
    dummy hash, so every refusal takes about as long as a wrong password for a real user.
    Never raises. It blocks for tens of milliseconds: in ``async`` code await
    :func:`verify_password_async`.
    """
    with _RUNNING:
        return _verify_unbounded(password_hash, password)


async def verify_password_async(password_hash: str | None, password: object) -> bool:
    """:func:`verify_password` in a worker thread: the event loop goes on meanwhile."""
    return await anyio.to_thread.run_sync(
        verify_password, password_hash, password, limiter=_thread_limiter()
    )


def _thread_limiter() -> CapacityLimiter:
    try:
        return _WAITING.get()
    except LookupError:
        limiter = CapacityLimiter(_BOUND)
        _WAITING.set(limiter)
        return limiter


def _hash_unbounded(password: str) -> str:
    """:func:`hash_password` outside the process-wide bound (the caller bounds it)."""
    if not isinstance(password, str):
        raise TypeError("password must be a str")
    return _HASHER.hash(password)


def _verify_unbounded(password_hash: str | None, password: object) -> bool:
    """:func:`verify_password` outside the process-wide bound (the caller bounds it)."""
    candidate = password if isinstance(password, str) else ""
    if not isinstance(password_hash, str) or not password_hash.startswith("$argon2"):
        _burn(candidate)
        return False
    try:
        return _HASHER.verify(password_hash, candidate) and isinstance(password, str)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        _burn(candidate)
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's (re-hash after sign-in)."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def _burn(candidate: str) -> None:
    with contextlib.suppress(VerificationError):
        _HASHER.verify(_dummy_hash(), candidate)
