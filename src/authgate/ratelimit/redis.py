"""The Redis backend: counters shared by every worker and machine (``pip install authgate[redis]``).

Each operation is one Lua script, so it is atomic; every key expires ``window`` seconds after
its last counted attempt. The caller's clock (``now``) is used for the arithmetic, so all
processes must have roughly synchronised clocks (NTP).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

if TYPE_CHECKING:
    from authgate.ratelimit import Policy

__all__ = ["RedisBackend", "client_from_url"]

HEALTH_CHECK_SECONDS = 30

# KEYS[1]: the counter; ARGV: now, free, base_delay, max_delay, max_attempts, window, ttl_ms.
# Returns "0" when the attempt was counted, else the seconds to wait (a string: Lua numbers
# returned to Redis are truncated to integers).
_HIT = """
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local base = tonumber(ARGV[3])
local maxd = tonumber(ARGV[4])
local maxa = tonumber(ARGV[5])
local window = tonumber(ARGV[6])
local v = redis.call('HMGET', KEYS[1], 'c', 't')
local c = tonumber(v[1]) or 0
local t = tonumber(v[2]) or 0
if c > 0 and now >= t + window then c = 0 end
if c >= free then
  local wait
  if c >= maxa then wait = window else wait = math.min(base * 2 ^ (c - free), maxd) end
  local r = t + wait - now
  if r > 0 then return tostring(r) end
end
redis.call('HSET', KEYS[1], 'c', c + 1, 't', ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[7]))
return '0'
"""

_REFUND = """
local c = tonumber(redis.call('HGET', KEYS[1], 'c') or '0') or 0
if c > 0 then redis.call('HINCRBY', KEYS[1], 'c', -1) end
return 0
"""


def client_from_url(url: str, *, timeout: float = 2.0) -> aioredis.Redis:
    """A redis-py asyncio client that recovers from a Redis restart by itself.

    A pooled connection that sat idle across a restart fails on its next use; the command is
    retried once, at once, on a fresh connection (no backoff: a refusal must not wait, and a
    Redis that is really down fails fast and closed). Connections idle for longer than
    ``HEALTH_CHECK_SECONDS`` are PINGed before use.
    """
    return aioredis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
        health_check_interval=HEALTH_CHECK_SECONDS,
    )


class RedisBackend:
    """Attempt counters in Redis (redis-py's asyncio client).

    Args:
        client: A ``redis.asyncio.Redis`` client; or give ``url``.
        url: e.g. ``redis://localhost:6379/0``; a client with short timeouts is made from it.
        prefix: Prefix of every key (they hold only hashes, never an identifier or an IP).
    """

    def __init__(
        self,
        client: aioredis.Redis | None = None,
        *,
        url: str | None = None,
        prefix: str = "authgate:rl:",
        timeout: float = 2.0,
    ) -> None:
        if client is None:
            if url is None:
                raise ValueError("RedisBackend needs a client or a url")
            client = client_from_url(url, timeout=timeout)
        self.client = client
        self.prefix = prefix
        self._hit: Any = client.register_script(_HIT)
        self._refund: Any = client.register_script(_REFUND)

    def __repr__(self) -> str:
        return f"RedisBackend(prefix={self.prefix!r})"

    async def hit(self, key: str, policy: Policy, now: float) -> float:
        """Count an attempt unless the key must wait; return 0, or the seconds to wait."""
        ttl_ms = math.ceil(policy.window * 1000)
        args = [repr(now), policy.free, repr(policy.base_delay), repr(policy.max_delay)]
        args += [policy.max_attempts, repr(policy.window), ttl_ms]
        result = await self._hit(keys=[self.prefix + key], args=args)
        return float(result.decode() if isinstance(result, bytes) else result)

    async def refund(self, key: str) -> None:
        """Take back one counted attempt."""
        await self._refund(keys=[self.prefix + key])

    async def reset(self, key: str) -> None:
        """Forget the key."""
        await self.client.delete(self.prefix + key)

    async def ping(self) -> None:
        """Raise unless Redis answers (``gate.health()``)."""
        await self.client.ping()

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self.client.aclose()
