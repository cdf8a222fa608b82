"""Revocation in Redis, shared by every worker and host (``pip install authgate[redis]``).

One hash per user (``{prefix}{digest of the user id}``): field ``nbf`` ("not before", epoch
milliseconds) and one field ``s:<session id>`` per ended session (its expiry). Each change is one
Lua script (atomic), then a ``PUBLISH`` on ``{prefix}changed`` of the user's digest and a
random token (and of the digest alone, which is what workers of earlier versions read).

Reads cost a dictionary lookup and one ``poll`` with a zero timeout: every process caches
what it read and drops a user's entry when that message arrives (the subscriber runs as a task
of the event loop). Redis answers a ``PUBLISH`` before it has written the message to the
subscribers (it writes the publisher's answer first, in the same pass), so that answer proves
nothing about the other processes: each subscriber confirms (``RPUSH`` to a list named by the
message) once it dropped the entry, and a write returns only when every process Redis counted
has confirmed, at most ``ack_seconds``; a process that has not by then is stalled, and the
message waits in its socket, where its next read sees it (a read that finds unprocessed bytes
in the subscriber's stream or socket asks Redis instead of trusting its cache). So a revoked
session is refused by the next read of every worker, on every host. A sign-out costs one round
trip per subscribed process more (their confirmations). While the subscription is not
confirmed (start-up, Redis restarting) nothing is cached and every read asks Redis. When
Redis cannot be reached the store raises :class:`~authgate.revocation.RevocationUnavailableError`
(the session reads as absent, the cookie kept) unless ``fail_open=True``: then an unreachable
Redis lets sessions through, logged as ``REVOCATION_UNAVAILABLE``.

Redis must keep its data across restarts (RDB or AOF): an empty Redis has forgotten every
revocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import secrets
import select
import socket
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from authgate.ratelimit.redis import client_from_url
from authgate.revocation import RevocationUnavailableError, UserState, user_key

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["RedisRevocationStore"]

logger = logging.getLogger("authgate")

# KEYS[1]: the user's hash; ARGV: nbf ms, ttl ms. Ended sessions all started before nbf.
_END_USER = """
local old = tonumber(redis.call('HGET', KEYS[1], 'nbf') or '0') or 0
local nbf = math.max(old, tonumber(ARGV[1]))
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'nbf', nbf)
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""

# KEYS[1]: the user's hash; ARGV: field, expiry ms, ttl ms, now ms (expired fields are dropped).
_END_SESSION = """
local now = tonumber(ARGV[4])
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= 'nbf' and tonumber(fields[i + 1]) <= now then
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 0
"""

# KEYS[1]: the writer's acknowledgement list; ARGV[1]: its lifetime in ms (a late one expires).
_ACKNOWLEDGE = """
redis.call('RPUSH', KEYS[1], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 0
"""

_RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)
_POLL_SECONDS = 0.25
_ACK_POLL_SECONDS = 0.25  # one BLPOP waits at most this long (below a client socket timeout)


class RedisRevocationStore:
    """A :class:`~authgate.revocation.RevocationStore` in Redis with a per-process cache.

    Args:
        client: A ``redis.asyncio.Redis`` client; or give ``url``.
        url: e.g. ``redis://localhost:6379/0`` (a client that recovers from restarts is made).
        prefix: Prefix of every key and of the channel.
        cache_size: Users whose state each process keeps (least recently read dropped first).
        cache_seconds: Longest a cached state is used even if no message came (a safety net).
        fail_open: Let sessions through when Redis cannot be reached (default: refuse them).
        ack_seconds: Longest a write waits for every subscribed process to confirm it dropped
            the user's cached state (then it logs ``REVOCATION_UNACKNOWLEDGED`` and returns).
    """

    def __init__(
        self,
        client: aioredis.Redis | None = None,
        *,
        url: str | None = None,
        prefix: str = "authgate:rv:",
        timeout: float = 2.0,
        cache_size: int = 100_000,
        cache_seconds: float = 60.0,
        fail_open: bool = False,
        ack_seconds: float = 1.0,
        clock: Any = time.time,
    ) -> None:
        if client is None:
            if url is None:
                raise ValueError("RedisRevocationStore needs a client or a url")
            client = client_from_url(url, timeout=timeout)
        self.client = client
        self.prefix = prefix
        self.channel = prefix + "changed"
        self.fail_open = fail_open
        self._clock = clock
        self._end_user: Any = client.register_script(_END_USER)
        self._end_session: Any = client.register_script(_END_SESSION)
        self._acknowledge: Any = client.register_script(_ACKNOWLEDGE)
        self._ack_seconds = ack_seconds
        self._acks: set[asyncio.Task[None]] = set()  # this process's confirmations in flight
        self._cache: OrderedDict[str, tuple[UserState, float]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_seconds = cache_seconds
        self._generation = 0  # bumped by every message: a read racing one is not cached
        self._live = False  # the subscription is confirmed: cached entries are kept current
        self._listener: asyncio.Task[None] | None = None
        self._closing = False
        self._transport: Any = None  # the subscriber's, cut by aclose()
        # The subscriber's stream, a poller of its socket, our descriptor of that socket.
        self._watch: tuple[Any, select.poll, socket.socket] | None = None

    def __repr__(self) -> str:
        return f"RedisRevocationStore(prefix={self.prefix!r}, fail_open={self.fail_open})"

    # ---- writes ------------------------------------------------------------------------

    async def end_user(self, user_id: str, *, at: float, ttl: float) -> None:
        """End every session of ``user_id`` started before ``at``."""
        key = user_key(user_id)
        args = [math.floor(at * 1000), _ms(ttl)]
        await self._write(key, self._end_user(keys=[self.prefix + key], args=args))

    async def end_session(self, user_id: str, session_id: str, *, ttl: float) -> None:
        """End one session of ``user_id``."""
        key = user_key(user_id)
        now = self._clock()
        args = ["s:" + session_id, _ms(now + ttl), _ms(ttl), _ms(now)]
        await self._write(key, self._end_session(keys=[self.prefix + key], args=args))

    async def _write(self, key: str, script: Any) -> None:
        token = secrets.token_hex(12)
        try:
            await script
            publish = self.client.pipeline(transaction=False)
            publish.publish(self.channel, key)  # what older workers read (a rolling upgrade)
            publish.publish(self.channel, f"{key} {token}")
            _, receivers = await publish.execute()
        except RedisError as exc:
            raise RevocationUnavailableError(type(exc).__name__) from exc
        finally:
            self._cache.pop(key, None)  # this process never needs its own message
        await self._acknowledged(token, int(receivers))

    async def _acknowledged(self, token: str, receivers: int) -> None:
        """Wait until each of the ``receivers`` subscribed processes dropped the user's state.

        Redis answers the ``PUBLISH`` before it has written the message to every subscriber
        (it writes the publisher's answer first), so the answer proves nothing about the
        other processes: each one confirms (an ``RPUSH`` to this list) once it handled the
        message. A process that does not confirm within ``ack_seconds`` is stalled or gone;
        by then Redis has written the message to its socket, where a read sees it waiting.
        """
        ack_key = self.prefix + "ack:" + token
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._ack_seconds
        confirmed = 0
        try:
            while confirmed < receivers:
                left = deadline - loop.time()
                if left <= 0:
                    logger.warning(
                        "REVOCATION_UNACKNOWLEDGED: %d of %d processes did not confirm in %.1f s",
                        receivers - confirmed,
                        receivers,
                        self._ack_seconds,
                    )
                    return
                wait = max(0.01, round(min(left, _ACK_POLL_SECONDS), 2))
                if await self.client.blpop([ack_key], timeout=wait) is not None:
                    confirmed += 1
        except RedisError as exc:
            raise RevocationUnavailableError(type(exc).__name__) from exc

    # ---- reads -------------------------------------------------------------------------

    async def is_ended(self, user_id: str, session_id: str | None, started: float) -> bool:
        """Whether that session has been ended."""
        key = user_key(user_id)
        cached = self._cache.get(key)
        if cached is not None and self._live and cached[1] > self._clock() and self._quiet():
            return cached[0].refuses(session_id, started)
        self._listen()
        generation = self._generation
        try:
            state = await self._fetch(key)
        except RedisError as exc:
            if self.fail_open:
                logger.error(
                    "REVOCATION_UNAVAILABLE: %s; letting the session through", type(exc).__name__
                )
                return False
            raise RevocationUnavailableError(type(exc).__name__) from exc
        if self._live and generation == self._generation:
            self._cache[key] = (state, self._clock() + self._cache_seconds)
            self._cache.move_to_end(key)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return state.refuses(session_id, started)

    async def _fetch(self, key: str) -> UserState:
        fields = await self.client.hgetall(self.prefix + key)
        state = UserState()
        now_ms = self._clock() * 1000
        for name, value in fields.items():
            field, number = _text(name), float(value)
            if field == "nbf":
                state.not_before = number / 1000
            elif field.startswith("s:") and number > now_ms:
                state.ended[field[2:]] = number / 1000
        return state

    async def ping(self) -> None:
        """Raise :class:`RevocationUnavailableError` unless the store answers."""
        try:
            await self.client.ping()
        except RedisError as exc:
            raise RevocationUnavailableError(type(exc).__name__) from exc

    # ---- the subscription ----------------------------------------------------------------

    def _quiet(self) -> bool:
        """Whether no message waits unprocessed (in the stream's buffer or the socket)."""
        watch = self._watch
        if watch is None:
            return False
        reader, poller, _ = watch
        # Readable means bytes (a message, a PONG) or the end of the stream: not quiet.
        return not getattr(reader, "_buffer", b"x") and not poller.poll(0)

    def _start_watching(self, pubsub: Any) -> None:
        connection = pubsub.connection
        reader = getattr(connection, "_reader", None)
        writer = getattr(connection, "_writer", None)
        transport = getattr(writer, "transport", None)
        raw = transport.get_extra_info("socket") if transport is not None else None
        if reader is None or raw is None:  # another redis-py: no cache, every read asks Redis
            return
        # Our own descriptor of the subscriber's socket, polled without blocking on each read.
        sock = socket.socket(fileno=os.dup(raw.fileno()))
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        self._watch = (reader, poller, sock)
        self._transport = transport

    def _forget(self) -> None:
        self._stop_watching()
        self._generation += 1
        self._cache.clear()

    def _stop_watching(self) -> None:
        self._transport = None
        watch, self._watch = self._watch, None
        if watch is not None:
            watch[2].close()

    def _listen(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._subscribe())

    async def _subscribe(self) -> None:
        failures = 0
        while not self._closing:
            pubsub = self.client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                while not self._closing:
                    # A bounded wait, not listen(): redis-py's blocking read can swallow a
                    # cancellation, and aclose() must end this loop without one.
                    message = await pubsub.get_message(timeout=_POLL_SECONDS)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":
                        # First subscription, or redis-py's after a reconnect: messages may
                        # have been missed meanwhile, so nothing cached before is trusted.
                        self._forget()
                        self._start_watching(pubsub)
                        self._live, failures = self._watch is not None, 0
                    elif message["type"] == "message":
                        self._generation += 1
                        key, _, token = _text(message["data"]).partition(" ")
                        self._cache.pop(key, None)
                        if token:
                            self._confirm(token)
            except RedisError as exc:
                logger.warning(
                    "REVOCATION_SUBSCRIPTION_LOST: %s; reads go to Redis", type(exc).__name__
                )
            finally:
                self._live = False
                self._forget()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            if not self._closing:
                await asyncio.sleep(_RETRY_SECONDS[min(failures, len(_RETRY_SECONDS) - 1)])
                failures += 1

    def _confirm(self, token: str) -> None:
        """Tell the writer of message ``token`` that this process handled it (in a task)."""
        ack_key = self.prefix + "ack:" + token
        lifetime = _ms(self._ack_seconds + 10)
        task = asyncio.get_running_loop().create_task(self._send_confirmation(ack_key, lifetime))
        self._acks.add(task)
        task.add_done_callback(self._acks.discard)

    async def _send_confirmation(self, ack_key: str, lifetime: int) -> None:
        try:
            await self._acknowledge(keys=[ack_key], args=[lifetime])
        except RedisError as exc:  # the writer waits ack_seconds, then logs it
            logger.warning("REVOCATION_UNACKNOWLEDGED: confirming failed (%s)", type(exc).__name__)

    async def aclose(self) -> None:
        """Stop listening and release connections."""
        self._closing = True
        listener, self._listener = self._listener, None
        if listener is not None:
            # redis-py's blocking read does not always give way to a cancellation: cutting the
            # connection ends it with an error, and the loop sees ``_closing``.
            transport = self._transport
            if transport is not None:
                transport.abort()
            await asyncio.wait([listener], timeout=2 * _POLL_SECONDS + 1)
            listener.cancel()
        self._stop_watching()
        for task in list(self._acks):
            task.cancel()
        await self.client.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))
