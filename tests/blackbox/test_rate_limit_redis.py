"""Sign-in throttling on a real Redis server (``redis-server`` on loopback, started here).

Two gates with their own Redis clients stand for two workers; two Python processes share the
counters too. In CI (``CI=true``) a missing ``redis-server`` fails the run.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
import uuid
from typing import TYPE_CHECKING, Any

import anyio
import pytest
import redis.asyncio as aioredis

from _support.redis_server import RedisServer, free_port, running_redis
from authgate.ratelimit import Policy, RateLimit
from authgate.ratelimit.redis import RedisBackend

from .conftest import NOW, ORIGIN, PASSWORD, SECRET, URL, Client, make_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from authgate import AuthGate
    from authgate.http import AuthResponse

pytestmark = pytest.mark.anyio

THROTTLED = f"{URL}/error?error=TooManyRequests"
FAILED = f"{URL}/error?error=CredentialsSignin&provider=credentials"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture
def prefix() -> str:
    return f"authgate-test:{uuid.uuid4().hex}:"


@pytest.fixture
async def backends(redis_server: RedisServer, prefix: str) -> AsyncIterator[list[RedisBackend]]:
    made = [RedisBackend(url=redis_server.url, prefix=prefix) for _ in range(2)]
    yield made
    for backend in made:
        await backend.aclose()


def gate_on(backend: RedisBackend, **limit: Any) -> AuthGate:
    return make_gate(rate_limit=RateLimit(backend=backend, **limit))


async def attempt(
    gate: AuthGate, username: str = "ada", *, ip: str = "203.0.113.7", **kw: Any
) -> AuthResponse:
    client = Client(gate, client_host=ip, headers=kw.pop("headers", []), now=kw.pop("now", NOW))
    return await client.sign_in(username, kw.pop("password", "wrong"), **kw)


async def test_two_gates_sharing_redis_count_together(backends: list[RedisBackend]) -> None:
    first, second = (gate_on(b) for b in backends)
    for i in range(5):
        assert (await attempt(first if i % 2 else second)).redirect == FAILED
    assert (await attempt(first)).redirect == THROTTLED
    assert (await attempt(second)).redirect == THROTTLED
    response = await attempt(second, json="true")
    assert (response.status, response.header("retry-after")) == (429, "1")
    assert (await attempt(first, now=NOW + 1)).redirect == FAILED  # the delay has passed


async def test_progression_and_window_match_the_memory_backend(
    backends: list[RedisBackend],
) -> None:
    policy = Policy(free=2, base_delay=1.5, max_delay=4, max_attempts=5, window=60)
    gate = gate_on(backends[0], per_identifier=policy)
    now = NOW
    for _ in range(2):
        assert (await attempt(gate, now=now)).redirect == FAILED
    waits = []
    for _ in range(3):
        response = await attempt(gate, json="true", now=now)
        waits.append(response.header("retry-after"))
        now += {"2": 1.5, "3": 3.0, "4": 4.0}[response.header("retry-after") or ""]
        assert (await attempt(gate, now=now - 0.25, json="true")).status == 429
        assert (await attempt(gate, now=now)).redirect == FAILED
    assert waits == ["2", "3", "4"]  # 1.5 s, 3 s, then capped at 4 s (rounded up)
    assert (await attempt(gate, json="true", now=now)).header("retry-after") == "60"
    assert (await attempt(gate, now=now + 60)).redirect == FAILED  # never a permanent lockout


async def test_success_resets_the_identifier(backends: list[RedisBackend]) -> None:
    gate = gate_on(backends[0])
    for _ in range(4):
        await attempt(gate)
    assert (await attempt(gate, password=PASSWORD)).redirect == "http://localhost:3000"
    for _ in range(5):
        assert (await attempt(gate)).redirect == FAILED
    assert (await attempt(gate)).redirect == THROTTLED


async def test_a_forged_x_forwarded_for_does_not_reset_the_count(
    backends: list[RedisBackend],
) -> None:
    gates = [gate_on(b) for b in backends]
    for i in range(20):
        forged = [("x-forwarded-for", f"10.{i}.0.1")]
        assert (await attempt(gates[i % 2], f"user{i}", headers=forged)).redirect == FAILED
    forged = [("x-forwarded-for", "192.0.2.200")]
    assert (await attempt(gates[0], "fresh", headers=forged)).redirect == THROTTLED


async def test_keys_hold_hashes_and_expire(backends: list[RedisBackend], prefix: str) -> None:
    backend = backends[0]
    await attempt(gate_on(backend), "ada@example.com")
    keys = sorted(k.decode() for k in await backend.client.keys(prefix + "*"))  # type: ignore[union-attr]
    assert len(keys) == 2
    # Keys are hex digests: look for the identifier and address themselves, not for "ada",
    # which random hex contains now and then.
    assert not [k for k in keys if "ada@" in k or "example" in k or "203.0.113" in k]
    for key in keys:
        ttl = await backend.client.pttl(key)
        assert 0 < ttl <= 15 * 60 * 1000


async def test_an_unreachable_redis_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    backend = RedisBackend(url=f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    try:
        gate = gate_on(backend)
        with caplog.at_level(logging.ERROR, logger="authgate"):
            response = await attempt(gate, password=PASSWORD, json="true")
        assert (response.status, response.header("retry-after")) == (429, "30")
        assert json.loads(response.body) == {"url": THROTTLED}
        assert "RATE_LIMIT_UNAVAILABLE" in caplog.text
    finally:
        await backend.aclose()


async def test_redis_going_down_fails_closed(caplog: pytest.LogCaptureFixture) -> None:
    with running_redis() as server:
        backend = RedisBackend(url=server.url, timeout=0.5)
        try:
            gate = gate_on(backend)
            assert (await attempt(gate)).redirect == FAILED
            server.stop()
            with caplog.at_level(logging.ERROR, logger="authgate"):
                response = await attempt(gate, password=PASSWORD)
            assert response.redirect == THROTTLED
            assert "RATE_LIMIT_UNAVAILABLE" in caplog.text
        finally:
            await backend.aclose()


WORKER = textwrap.dedent(
    """
    import anyio, json, sys
    from authgate import AuthConfig, AuthGate, AuthRequest
    from authgate.providers import Credentials
    from authgate.ratelimit import RateLimit
    from authgate.ratelimit.redis import RedisBackend

    url, prefix, secret, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    async def main():
        backend = RedisBackend(url=url, prefix=prefix)
        gate = AuthGate(AuthConfig(
            providers=[Credentials(authorize=lambda c, r: None)], secret=secret,
            url="http://localhost:3000", rate_limit=RateLimit(backend=backend)), env={})
        out = []
        for _ in range(count):
            csrf = await gate.handle(AuthRequest.build(method="GET", path="/api/auth/csrf"))
            token = json.loads(csrf.body)["csrfToken"]
            cookie = "; ".join(f"{c.name}={c.serialize().split(';')[0].split('=', 1)[1]}"
                               for c in csrf.cookies)
            body = f"csrfToken={token}&username=ada&password=x&json=true".encode()
            answer = await gate.handle(AuthRequest.build(
                method="POST", path="/api/auth/callback/credentials", body=body,
                headers=[("content-type", "application/x-www-form-urlencoded"),
                         ("cookie", cookie), ("x-forwarded-for", "10.9.8.7")],
                client_host="198.51.100.4"), now=1_800_000_000.0)
            out.append(answer.status)
        await backend.aclose()
        print(json.dumps(out))

    anyio.run(main)
    """
)


def run_worker(server: RedisServer, prefix: str, count: int) -> list[int]:
    result = subprocess.run(
        [sys.executable, "-c", WORKER, server.url, prefix, SECRET, str(count)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    statuses: list[int] = json.loads(result.stdout)
    return statuses


def test_two_processes_share_the_count(redis_server: RedisServer, prefix: str) -> None:
    assert run_worker(redis_server, prefix, 3) == [401, 401, 401]
    assert run_worker(redis_server, prefix, 3) == [401, 401, 429]


async def test_a_restarted_redis_is_not_a_refusal(caplog: pytest.LogCaptureFixture) -> None:
    with running_redis() as server:
        backend = RedisBackend(url=server.url, timeout=0.5)
        try:
            gate = gate_on(backend)
            async with anyio.create_task_group() as group:
                for i in range(4):  # at once: several pooled connections
                    group.start_soon(attempt, gate, f"user{i}")
            watcher = aioredis.Redis.from_url(server.url)
            clients = await watcher.client_list()
            await watcher.aclose()
            assert len(clients) >= 3, "pooled connections that sit idle across the restart"
            server.stop()
            server.start()  # same port, empty: the pooled connections are dead, scripts gone
            with caplog.at_level(logging.WARNING, logger="authgate"):
                for _ in range(4):
                    assert (await attempt(gate, password=PASSWORD)).redirect == ORIGIN
            assert "RATE_LIMIT_UNAVAILABLE" not in caplog.text
        finally:
            await backend.aclose()
