"""Revocable JWT sessions: sign out everywhere, end one device, sign-out that ends the token.

Each behaviour runs on the in-memory store and on a real Redis (``redis-server`` on loopback,
started here), with two gates that have their own Redis clients standing for two workers. The
two-process case (real uvicorn workers) is ``tests/deploy/test_revocation_workers.py``.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from _support.redis_server import RedisServer, free_port, running_redis
from authgate import AuthRequest, Callbacks, SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.errors import ConfigurationError
from authgate.ratelimit import RateLimit
from authgate.ratelimit.redis import RedisBackend
from authgate.revocation import (
    MemoryRevocationStore,
    RevocationStore,
    RevocationUnavailableError,
    new_session_id,
    session_ref,
    started_at,
)
from authgate.revocation.redis import RedisRevocationStore

from .conftest import NOW, ORIGIN, SESSION, URL, Client, body_json, decode_session, make_gate

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from authgate import AuthGate

pytestmark = pytest.mark.anyio

HOUR = 3600.0


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
async def stores(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[RevocationStore, RevocationStore]]:
    """Two stores that share their state: one per "worker"."""
    if request.param == "memory":
        store = MemoryRevocationStore(clock=lambda: NOW)
        yield store, store
        return
    server: RedisServer = request.getfixturevalue("redis_server")
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    made = [RedisRevocationStore(url=server.url, prefix=prefix, clock=lambda: NOW) for _ in "ab"]
    try:
        yield made[0], made[1]
    finally:
        for each in made:
            await each.aclose()


def gates(stores: tuple[RevocationStore, RevocationStore], **config: Any) -> list[AuthGate]:
    return [make_gate(revocation=store, **config) for store in stores]


async def signed_in(gate: AuthGate, now: float = NOW) -> Client:
    client = Client(gate, now=now)
    assert (await client.sign_in()).redirect == ORIGIN
    return client


async def user_of(client: Client) -> Any:
    return body_json(await client.get("/session")).get("user")


def request_with(client: Client) -> AuthRequest:
    cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
    return AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])


async def test_the_token_carries_a_session_id_kept_over_re_issues(
    stores: tuple[RevocationStore, RevocationStore],
) -> None:
    first, _ = gates(stores)
    client = Client(first)
    claims = decode_session(await client.sign_in())
    sid = claims["sid"]
    assert started_at(sid) == NOW
    assert len(sid.split(".")[1]) == 16, "96 random bits"
    response = await client.get("/session", now=NOW + 60)
    assert decode_session(response, now=NOW + 60)["sid"] == sid
    other = Client(first)
    assert decode_session(await other.sign_in())["sid"] != sid


async def test_a_jwt_callback_that_drops_the_id_does_not_lose_it(
    stores: tuple[RevocationStore, RevocationStore],
) -> None:
    def jwt(token: Any) -> Any:
        return {"sub": token["sub"], "name": token.get("name")}

    gate = make_gate(revocation=stores[0], callbacks=Callbacks(jwt=jwt))
    client = Client(gate)
    sid = decode_session(await client.sign_in())["sid"]
    assert decode_session(await client.get("/session"))["sid"] == sid


async def test_end_sessions_refuses_every_session_on_every_worker(
    stores: tuple[RevocationStore, RevocationStore],
) -> None:
    first, second = gates(stores)
    laptop, phone = await signed_in(first), await signed_in(second)
    assert await user_of(laptop) is not None  # cached as "nothing ended" by this worker
    assert await first.get_session(request_with(phone), now=NOW) is not None
    await second.end_sessions("1", now=NOW + 1)
    for gate in (first, second):
        for device in (laptop, phone):
            assert await gate.get_session(request_with(device), now=NOW + 2) is None
    response = await laptop.get("/session", now=NOW + 2)
    assert body_json(response) == {}
    assert [(c.name, c.max_age) for c in response.cookies] == [(SESSION, 0)], "cleared"
    again = await signed_in(first, now=NOW + 1.001)  # a sign-in after the call is not affected
    assert (await user_of(again))["email"] == "ada@example.com"


async def test_end_session_ends_one_device_only(
    stores: tuple[RevocationStore, RevocationStore],
) -> None:
    first, second = gates(stores)
    laptop, phone = await signed_in(first), await signed_in(second)
    assert await user_of(phone) is not None
    token = second.get_token(request_with(phone), now=NOW)
    assert token is not None
    await first.end_session("1", token["sid"])
    assert await user_of(phone) is None
    assert await first.get_session(request_with(phone), now=NOW) is None
    assert (await user_of(laptop))["name"] == "Ada"


async def test_sign_out_ends_the_token_for_a_kept_copy_of_the_cookie(
    stores: tuple[RevocationStore, RevocationStore],
) -> None:
    first, second = gates(stores)
    client = await signed_in(first)
    stolen = dict(client.jar)
    assert (await client.post("/signout", form={"csrfToken": await client.csrf()})).redirect
    assert SESSION not in client.jar
    thief = Client(second, jar=stolen)
    assert body_json(await thief.get("/session")) == {}
    assert (await user_of(await signed_in(second)))["name"] == "Ada", "others keep working"


async def test_tokens_without_a_session_id_are_checked_by_iat() -> None:
    store = MemoryRevocationStore(clock=lambda: NOW)
    old = await signed_in(make_gate(), now=NOW - 10)  # issued before revocation was configured
    gate = make_gate(revocation=store)
    assert (await user_of(Client(gate, jar=dict(old.jar)))) is not None
    await gate.end_sessions("1", now=NOW)
    assert await user_of(Client(gate, jar=dict(old.jar))) is None
    ref = session_ref({"sub": "1", "iat": 5})
    assert ref is not None
    assert (ref.session_id, ref.started) == (None, 5.0)


@pytest.mark.parametrize(
    "claims",
    [{}, {"sub": ""}, {"sub": 1}, {"sub": None}],
)
def test_tokens_without_a_user_are_not_revocable(claims: dict[str, Any]) -> None:
    assert session_ref(claims) is None


@pytest.mark.parametrize(
    "value",
    [None, 7, "", "abc", ".x", "zz.x", "1.", "1234567890abc.x", "1." + "x" * 70, "\ud800.x"],
)
def test_foreign_session_ids_have_no_start(value: object) -> None:
    assert started_at(value) is None


def test_session_ids_round_trip() -> None:
    assert started_at(new_session_id(NOW + 0.123)) == NOW + 0.123


async def test_end_sessions_without_a_store_is_a_configuration_error() -> None:
    gate = make_gate()
    with pytest.raises(ConfigurationError, match="revocation"):
        await gate.end_sessions("1")
    with pytest.raises(ConfigurationError, match="revocation"):
        await gate.end_session("1", "x")
    assert await gate.list_sessions("1") == []


def test_a_store_must_look_like_one() -> None:
    with pytest.raises(ConfigurationError, match="RevocationStore"):
        make_gate(revocation=object())


async def test_an_unreachable_redis_fails_closed_and_keeps_the_cookie(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisRevocationStore(url=f"redis://127.0.0.1:{free_port()}/0", timeout=0.5)
    try:
        gate = make_gate(revocation=store)
        client = await signed_in(gate)
        with caplog.at_level(logging.ERROR, logger="authgate"):
            response = await client.get("/session")
        assert body_json(response) == {}
        assert response.cookies == [], "the cookie is kept: the session may be fine later"
        assert await gate.get_session(request_with(client), now=NOW) is None
        assert "SESSION_ERROR" in caplog.text
        csrf = await client.csrf()
        failed = await client.post("/signout", form={"csrfToken": csrf})
        assert failed.redirect == f"{URL}/error?error=SignOut"
        assert SESSION in client.jar
        with pytest.raises(RevocationUnavailableError):
            await gate.end_sessions("1")
        assert await gate.health() == {"revocation": "down"}
    finally:
        await store.aclose()


async def test_fail_open_lets_sessions_through_when_redis_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisRevocationStore(
        url=f"redis://127.0.0.1:{free_port()}/0", timeout=0.5, fail_open=True
    )
    try:
        client = await signed_in(make_gate(revocation=store))
        with caplog.at_level(logging.ERROR, logger="authgate"):
            assert (await user_of(client))["name"] == "Ada"
        assert "REVOCATION_UNAVAILABLE" in caplog.text
    finally:
        await store.aclose()


async def test_a_revocation_survives_a_redis_restart_and_the_cache_recovers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with running_redis() as server:
        store = RedisRevocationStore(url=server.url, clock=lambda: NOW)
        other = RedisRevocationStore(url=server.url, clock=lambda: NOW)
        try:
            first, second = make_gate(revocation=store), make_gate(revocation=other)
            laptop, phone = await signed_in(first), await signed_in(first)
            assert await user_of(laptop) is not None
            assert await user_of(phone) is not None
            server.stop()
            server.start()  # an empty Redis on the same port: the subscription is gone too
            assert await user_of(laptop) is not None, "a restart is not a refusal"
            phone_sid = first.get_token(request_with(phone), now=NOW)
            assert phone_sid is not None
            await second.end_session("1", phone_sid["sid"])
            assert await user_of(phone) is None
            assert await user_of(laptop) is not None
        finally:
            await store.aclose()
            await other.aclose()


async def test_keys_hold_digests_and_expire(redis_server: RedisServer) -> None:
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    store = RedisRevocationStore(url=redis_server.url, prefix=prefix, clock=lambda: NOW)
    try:
        gate = make_gate(revocation=store)
        client = await signed_in(gate)
        await client.post("/signout", form={"csrfToken": await client.csrf()})
        await gate.end_sessions("ada-user-id", now=NOW)
        found = await store.client.keys(prefix + "*")
        keys = sorted(k.decode() if isinstance(k, bytes) else k for k in found)
        assert len(keys) == 2
        assert not [k for k in keys if "ada" in k or k.endswith(":1")]
        for key in keys:
            ttl = await store.client.pttl(key)
            assert 0 < ttl <= (30 * 86400 + 60) * 1000
    finally:
        await store.aclose()


async def test_health_reports_each_component(redis_server: RedisServer) -> None:

    store = RedisRevocationStore(url=redis_server.url)
    backend = RedisBackend(url=redis_server.url)
    try:
        gate = make_gate(
            revocation=store,
            adapter=MemoryAdapter(),
            session=SessionConfig(strategy="jwt"),
            rate_limit=RateLimit(backend=backend),
        )
        assert await gate.health() == {"adapter": "ok", "revocation": "ok", "rate_limit": "ok"}
        assert await make_gate().health() == {}
    finally:
        await store.aclose()
        await backend.aclose()


async def test_the_memory_store_forgets_a_user_once_the_entry_expires() -> None:
    now = [NOW]
    store = MemoryRevocationStore(clock=lambda: now[0])
    await store.end_user("u", at=NOW, ttl=HOUR)
    assert await store.is_ended("u", None, NOW - 1)
    assert repr(store) == "MemoryRevocationStore(users=1)"
    now[0] = NOW + HOUR
    assert not await store.is_ended("u", None, NOW - 1), "the token it ended has expired too"
    assert repr(store) == "MemoryRevocationStore(users=0)"
    await store.ping()
    await store.aclose()


def test_the_redis_store_is_loaded_lazily_and_other_names_are_missing() -> None:
    import authgate.revocation as revocation

    assert revocation.RedisRevocationStore is RedisRevocationStore
    with pytest.raises(AttributeError, match="NoSuchStore"):
        _ = revocation.NoSuchStore


def test_a_redis_store_needs_a_client_or_a_url() -> None:
    with pytest.raises(ValueError, match="a client or a url"):
        RedisRevocationStore()


async def test_an_ended_session_entry_past_its_expiry_no_longer_refuses(
    redis_server: RedisServer,
) -> None:
    now = [NOW]
    prefix = f"authgate-test:{uuid.uuid4().hex}:"
    store = RedisRevocationStore(url=redis_server.url, prefix=prefix, clock=lambda: now[0])
    try:
        assert repr(store) == f"RedisRevocationStore(prefix={prefix!r}, fail_open=False)"
        await store.end_session("u", "sid-1", ttl=HOUR)
        assert await store.is_ended("u", "sid-1", NOW)
        now[0] = NOW + HOUR + 1  # Redis still holds the key (its own clock); the entry is stale
        assert not await store.is_ended("u", "sid-1", NOW)
    finally:
        await store.aclose()


async def test_a_token_without_a_user_is_not_checked_against_the_store() -> None:
    def jwt(token: Any) -> Any:
        return {"name": token.get("name")}  # no "sub": nobody to revoke

    store = MemoryRevocationStore(clock=lambda: NOW)
    gate = make_gate(revocation=store, callbacks=Callbacks(jwt=jwt))
    client = await signed_in(gate)
    await gate.end_sessions("1", now=NOW + 1)
    assert await user_of(client) == {"name": "Ada"}
