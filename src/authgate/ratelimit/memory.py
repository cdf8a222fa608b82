"""The in-process backend: bounded, expiring, one process only."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authgate.ratelimit import Policy

__all__ = ["MemoryBackend"]


class MemoryBackend:
    """Counters in a dict of at most ``max_entries`` keys (least recently used go first).

    Entries expire ``window`` seconds after their last counted attempt. Each process has its own
    counters: under several workers use :class:`~authgate.ratelimit.redis.RedisBackend`.
    """

    def __init__(self, *, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        # key -> [count, last attempt, window]
        self._entries: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def _live(self, key: str, now: float) -> list[float] | None:
        entry = self._entries.get(key)
        if entry is not None and now >= entry[1] + entry[2]:
            del self._entries[key]
            return None
        return entry

    async def hit(self, key: str, policy: Policy, now: float) -> float:
        """Count an attempt unless the key must wait; return 0, or the seconds to wait."""
        with self._lock:
            entry = self._live(key, now)
            count, last = (int(entry[0]), entry[1]) if entry else (0, 0.0)
            wait = policy.retry_after(count, last, now)
            if wait > 0:
                return wait
            self._entries[key] = [count + 1, now, policy.window]
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return 0.0

    async def refund(self, key: str) -> None:
        """Take back one counted attempt."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > 0:
                entry[0] -= 1

    async def reset(self, key: str) -> None:
        """Forget the key."""
        with self._lock:
            self._entries.pop(key, None)
