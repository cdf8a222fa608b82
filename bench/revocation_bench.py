"""The cost of the revocation check per session read (issue 14's target: <= 20 us, cache warm).

Run: ``.venv/bin/python bench/revocation_bench.py`` (starts its own ``redis-server`` on a free
loopback port; Debian package ``redis-server``). Prints microseconds per call; never asserts.

Rows:
- ``store.is_ended`` alone: the memory store, then the Redis store with its cache warm (the
  steady state: a dictionary lookup plus one zero-timeout ``poll``), then with the
  cache off (every read asks Redis: what a read costs while the subscription is down).
- ``gate.get_session``: a whole JWT session read (decrypt, claims, session body) without a
  store, with the memory store and with the Redis store (cache warm): the difference is what
  revocation adds to a read.
- ``end_session`` (a sign-out's write): with the writer's own process subscribed, then with
  four processes subscribed (stores with their own clients standing for workers): the write
  waits for each one's confirmation that it dropped the user's cached state.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _support.redis_server import running_redis
from authgate import AuthConfig, AuthGate, AuthRequest
from authgate import jwt as authjwt
from authgate.providers import Credentials
from authgate.revocation import MemoryRevocationStore, new_session_id
from authgate.revocation.redis import RedisRevocationStore

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

SECRET = "authgate-bench-secret-0123456789abcdef"
N = 20_000
ROUNDS = 5


async def per_call(fn: Callable[[], Awaitable[object]], n: int = N) -> float:
    """Median over ``ROUNDS`` of the mean microseconds per awaited call."""
    for _ in range(1_000):
        await fn()
    results = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(n):
            await fn()
        results.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(results)


def gate_with(store: Any) -> AuthGate:
    config = AuthConfig(
        providers=[Credentials(authorize=lambda c, r: None)],
        secret=SECRET,
        url="http://localhost:3000",
        revocation=store,
    )
    return AuthGate(config, env={})


def request_for(sid: str | None) -> AuthRequest:
    claims: dict[str, Any] = {"name": "Ada", "email": "ada@example.com", "sub": "42"}
    if sid is not None:
        claims["sid"] = sid
    token = authjwt.encode(claims, SECRET, max_age=3600)
    cookie = f"next-auth.session-token={token}"
    return AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])


async def main() -> None:
    now = time.time()
    sid = new_session_id(now)
    rows: dict[str, float] = {}
    with running_redis() as server:
        memory = MemoryRevocationStore()
        redis = RedisRevocationStore(url=server.url)
        uncached = RedisRevocationStore(url=server.url, cache_seconds=0)
        await redis.end_session("someone-else", "x", ttl=60)  # a store that is not empty
        try:
            rows["memory store: is_ended"] = await per_call(lambda: memory.is_ended("42", sid, now))
            await redis.is_ended("42", sid, now)
            # Until the subscription is confirmed the cache is not in use.
            while not redis._live:  # noqa: ASYNC110 - a bench, not library code
                await asyncio.sleep(0.01)
            rows["redis store, cache warm: is_ended"] = await per_call(
                lambda: redis.is_ended("42", sid, now)
            )
            rows["redis store, no cache (a round trip): is_ended"] = await per_call(
                lambda: uncached.is_ended("42", sid, now), n=2_000
            )
            workers = [RedisRevocationStore(url=server.url) for _ in range(3)]
            try:
                rows["redis store: end_session, 1 process subscribed"] = await per_call(
                    lambda: redis.end_session("43", "y", ttl=60), n=500
                )
                for worker in workers:
                    await worker.is_ended("42", sid, now)
                    while not worker._live:  # noqa: ASYNC110 - a bench, not library code
                        await asyncio.sleep(0.01)
                rows["redis store: end_session, 4 processes subscribed"] = await per_call(
                    lambda: redis.end_session("43", "y", ttl=60), n=500
                )
            finally:
                for worker in workers:
                    await worker.aclose()
            request = request_for(sid)
            for label, store in (("no store", None), ("memory store", memory), ("redis", redis)):
                gate = gate_with(store)
                rows[f"gate.get_session, {label}"] = await per_call(
                    lambda gate=gate: gate.get_session(request, now=now), n=5_000
                )
        finally:
            await redis.aclose()
            await uncached.aclose()
    width = max(map(len, rows))
    for label, micros in rows.items():
        print(f"{label:<{width}}  {micros:8.2f} us")
    added = rows["gate.get_session, redis"] - rows["gate.get_session, no store"]
    print(f"{'revocation added to a read (redis, warm)':<{width}}  {added:8.2f} us")


if __name__ == "__main__":
    asyncio.run(main())
