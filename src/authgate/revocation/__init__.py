"""Revocable JWT sessions: end one device, or every session of a user, before they expire.

A JWT session is a sealed cookie that no server holds, so ending it early needs a little shared
state, checked on every session read. authgate keeps the least that does it, per user:

- a "not before" time: every session of the user that started earlier is ended ("sign out
  everywhere", "end all sessions after a password change");
- the ids of single sessions that were ended ("end this device", ``POST /signout``).

With a store configured (``AuthConfig(revocation=RedisRevocationStore(url=...))``) each session
token carries ``sid``: when the session started (milliseconds) and a random part, kept over
every re-issue. Tokens without it (issued before the store was configured) are checked by
their ``iat`` against "not before" only. Entries expire with the longest-lived token they
could still refuse, so the state stays small.

:class:`MemoryRevocationStore` serves one process (tests, a single worker);
:class:`~authgate.revocation.redis.RedisRevocationStore` is shared by every worker and host and
caches what it read, dropped by a Redis pub/sub message when anything changes.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate.revocation.redis import RedisRevocationStore

__all__ = [
    "MemoryRevocationStore",
    "RedisRevocationStore",
    "RevocationStore",
    "RevocationUnavailableError",
    "SessionRef",
    "new_session_id",
    "session_ref",
    "started_at",
]

SESSION_ID_CLAIM = "sid"


class RevocationUnavailableError(Exception):
    """The store could not be asked: the session is treated as absent (cookie kept)."""


@runtime_checkable
class RevocationStore(Protocol):
    """Where ended sessions are remembered.

    ``ttl`` is how long an entry must live: as long as a token it refuses could still be valid.
    Methods raise :class:`RevocationUnavailableError` when the store cannot be reached.
    """

    async def end_user(self, user_id: str, *, at: float, ttl: float) -> None:
        """End every session of ``user_id`` that started before ``at`` (epoch seconds)."""
        ...

    async def end_session(self, user_id: str, session_id: str, *, ttl: float) -> None:
        """End the one session ``session_id`` of ``user_id``."""
        ...

    async def is_ended(self, user_id: str, session_id: str | None, started: float) -> bool:
        """Whether the session (``started`` at epoch seconds) has been ended."""
        ...

    async def ping(self) -> None:
        """Raise :class:`RevocationUnavailableError` unless the store answers."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def new_session_id(now: float) -> str:
    """A session id: the start in milliseconds (hex), a dot, 96 random bits."""
    return f"{int(now * 1000):x}.{secrets.token_urlsafe(12)}"


def started_at(session_id: object) -> float | None:
    """When the session of ``session_id`` started (epoch seconds), or ``None`` if it is not ours."""
    if not isinstance(session_id, str) or len(session_id) > 64:
        return None
    head, dot, rest = session_id.partition(".")
    if not dot or not rest or not 0 < len(head) <= 12:
        return None
    try:
        return int(head, 16) / 1000
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SessionRef:
    """Which session a decoded token is: its user, id (``None`` for old tokens) and start."""

    user_id: str
    session_id: str | None
    started: float


def session_ref(claims: Mapping[str, Any]) -> SessionRef | None:
    """The :class:`SessionRef` of a token's claims; ``None`` without a user (``sub``)."""
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        return None
    session_id = claims.get(SESSION_ID_CLAIM)
    started = started_at(session_id)
    if started is not None:
        return SessionRef(user_id, session_id, started)
    issued = claims.get("iat")
    moment = (
        float(issued) if isinstance(issued, int | float) and not isinstance(issued, bool) else 0.0
    )
    return SessionRef(user_id, None, moment)


@functools.lru_cache(maxsize=65_536)
def user_key(user_id: str) -> str:
    """The store's key for a user: a digest, so ids never appear in the store or its logs."""
    return hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass(slots=True)
class UserState:
    """What the store knows of one user: "not before" (epoch seconds) and ended session ids."""

    not_before: float = 0.0
    ended: dict[str, float] = field(default_factory=dict)  # session id -> entry expiry

    def refuses(self, session_id: str | None, started: float) -> bool:
        return started < self.not_before or (session_id is not None and session_id in self.ended)


class MemoryRevocationStore:
    """A :class:`RevocationStore` in this process's memory (one worker only; lost on restart)."""

    def __init__(self, *, clock: Any = time.time) -> None:
        self._users: dict[str, tuple[UserState, float]] = {}
        self._clock = clock
        # Reads run on the sync bridge's caller threads too: an expired entry is dropped only
        # if no write replaced it meanwhile.
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryRevocationStore(users={len(self._users)})"

    def _state(self, user_id: str) -> UserState | None:
        key = user_key(user_id)
        found = self._users.get(key)
        if found is None:
            return None
        state, expires = found
        if expires <= self._clock():
            with self._lock:
                if self._users.get(key) is found:
                    del self._users[key]
            return None
        return state

    def _keep(self, user_id: str, state: UserState, ttl: float) -> None:
        key = user_key(user_id)
        with self._lock:
            old = self._users.get(key)
            expires = max(self._clock() + ttl, old[1] if old else 0.0)
            self._users[key] = (state, expires)

    async def end_user(self, user_id: str, *, at: float, ttl: float) -> None:
        """End every session of ``user_id`` started before ``at``."""
        state = self._state(user_id) or UserState()
        state.not_before = max(state.not_before, at)
        state.ended.clear()  # every one of them started before ``at``
        self._keep(user_id, state, ttl)

    async def end_session(self, user_id: str, session_id: str, *, ttl: float) -> None:
        """End one session of ``user_id``."""
        state = self._state(user_id) or UserState()
        state.ended[session_id] = self._clock() + ttl
        self._keep(user_id, state, ttl)

    async def is_ended(self, user_id: str, session_id: str | None, started: float) -> bool:
        """Whether that session has been ended."""
        state = self._state(user_id)
        return state is not None and state.refuses(session_id, started)

    async def ping(self) -> None:
        """Raise :class:`RevocationUnavailableError` unless the store answers."""
        return None

    async def aclose(self) -> None:
        """Stop listening and release connections."""
        return None


def __getattr__(name: str) -> Any:
    if name == "RedisRevocationStore":  # lazily: redis is an optional dependency
        from authgate.revocation.redis import RedisRevocationStore

        return RedisRevocationStore
    raise AttributeError(name)
