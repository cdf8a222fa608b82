"""The next read of every worker refuses an ended session, however late the message arrives.

Redis answers a ``PUBLISH`` in the same pass of its event loop that writes the message to the
subscribers, and it writes the publisher's answer first (the client added last to its
pending-write list goes out first): so when ``end_session`` has its answer, the message may
not yet be in another worker's socket (a descheduled Redis, another host). Each "worker" here
is a store with its own Redis client (its own cache and subscriber), on one real
``redis-server``; one of them reaches it through a proxy that delays what Redis sends it, the
same window made wide, so the test fails at once if a write returns before every worker knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

import pytest
import redis.asyncio

from _support.redis_server import RedisServer, running_redis
from authgate.revocation import new_session_id, started_at, user_key
from authgate.revocation.redis import RedisRevocationStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

DELAY = 0.05  # what Redis sends the far worker arrives this much later

pytestmark = pytest.mark.anyio

WORKERS = 16
USERS = 3  # several locust users share one account: a sign-out of one, reads of the others
ROUNDS = 20
NOW = 1_900_000_000.0


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
async def workers(redis_server: RedisServer) -> AsyncIterator[list[RedisRevocationStore]]:
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    made = [
        RedisRevocationStore(url=redis_server.url, prefix=prefix, clock=lambda: NOW)
        for _ in range(WORKERS)
    ]
    try:
        yield made
    finally:
        for store in made:
            await store.aclose()


async def subscribed(store: RedisRevocationStore) -> None:
    """Read once (which starts the subscriber), then wait until it is confirmed."""
    await store.is_ended("warm-up", None, NOW)
    async with asyncio.timeout(10):
        while not store._live:  # noqa: ASYNC110 - no event tells when it is confirmed
            await asyncio.sleep(0.01)


async def _pump(source: asyncio.StreamReader, target: asyncio.StreamWriter, delay: float) -> None:
    """Copy ``source`` to ``target``, each chunk ``delay`` seconds late, in order."""
    loop = asyncio.get_running_loop()
    late: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while (item := await late.get())[1]:
            await asyncio.sleep(max(0.0, item[0] - loop.time()))
            target.write(item[1])
            await target.drain()

    delivering = loop.create_task(deliver())
    try:
        while chunk := await source.read(65536):
            late.put_nowait((loop.time() + delay, chunk))
        late.put_nowait((0.0, b""))
        await delivering
    except OSError:
        pass
    finally:
        delivering.cancel()
        target.close()


@contextlib.asynccontextmanager
async def slow_link(redis_server: RedisServer) -> AsyncIterator[str]:
    """A ``redis://`` URL to ``redis_server`` whose answers and messages arrive ``DELAY`` late."""
    pumps: list[asyncio.Task[None]] = []
    streams: list[asyncio.StreamWriter] = []

    async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection("127.0.0.1", redis_server.port)
        streams.extend((writer, upstream[1]))
        loop = asyncio.get_running_loop()
        pumps.append(loop.create_task(_pump(reader, upstream[1], 0.0)))
        pumps.append(loop.create_task(_pump(upstream[0], writer, DELAY)))

    server = await asyncio.start_server(connected, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.close()
        for stream in streams:
            stream.close()
        await asyncio.gather(*pumps, return_exceptions=True)
        for stream in streams:
            with contextlib.suppress(OSError):
                await stream.wait_closed()
        await server.wait_closed()


async def test_a_worker_that_hears_late_still_refuses_the_next_read(
    redis_server: RedisServer,
) -> None:
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    async with slow_link(redis_server) as far_url:
        near = RedisRevocationStore(url=redis_server.url, prefix=prefix, clock=lambda: NOW)
        far = RedisRevocationStore(url=far_url, prefix=prefix, clock=lambda: NOW)
        try:
            await subscribed(near)
            await subscribed(far)
            for round_ in range(3):
                session = new_session_id(NOW - 60 + round_)
                started = started_at(session)
                assert started is not None
                assert not await far.is_ended("ada", session, started)  # cached as live
                await near.end_session("ada", session, ttl=3600)
                assert await far.is_ended("ada", session, started), f"round {round_}"
            await far.end_user("ada", at=NOW, ttl=3600)
            assert await near.is_ended("ada", None, NOW - 1)
        finally:
            await near.aclose()
            await far.aclose()


async def test_every_worker_refuses_the_session_right_after_end_session_returns(
    workers: list[RedisRevocationStore],
) -> None:
    for store in workers:  # in order: Redis writes the first subscriber last
        await subscribed(store)
    writer = workers[-1]
    for round_ in range(ROUNDS):
        user = f"user-{round_ % USERS}"
        sessions = [new_session_id(NOW - 60 + i) for i in range(2)]
        started = started_at(sessions[0])
        assert started is not None
        for store in workers:  # every cache holds the session as live
            assert not await store.is_ended(user, sessions[0], started)
        await writer.end_session(user, sessions[0], ttl=3600)
        late = [
            i for i, w in enumerate(workers) if not await w.is_ended(user, sessions[0], started)
        ]
        assert late == [], f"round {round_}: workers {late} still accept the ended session"
        other = started_at(sessions[1])
        assert other is not None
        assert not await workers[0].is_ended(user, sessions[1], other)


async def test_an_older_worker_reads_the_digest_and_is_waited_for_at_most_ack_seconds(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    store = RedisRevocationStore(
        url=redis_server.url, prefix=prefix, ack_seconds=0.2, clock=lambda: NOW
    )
    older = redis.asyncio.Redis.from_url(redis_server.url)
    listening = older.pubsub()  # subscribed, never confirms: what a worker before the fix does
    try:
        await listening.subscribe(store.channel)
        assert (await listening.get_message(timeout=5))["type"] == "subscribe"
        await subscribed(store)
        with caplog.at_level(logging.WARNING, logger="authgate"):
            await store.end_session("ada", new_session_id(NOW), ttl=3600)
        assert "REVOCATION_UNACKNOWLEDGED: 1 of 2 processes" in caplog.text
        first = await listening.get_message(timeout=5)
        assert first is not None
        assert first["data"] == user_key("ada").encode()  # the digest alone, as before
    finally:
        await listening.aclose()  # type: ignore[no-untyped-call]
        await older.aclose()
        await store.aclose()
