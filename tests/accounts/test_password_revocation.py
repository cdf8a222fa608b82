"""A password reset or change ends the user's JWT sessions (``AuthConfig(revocation=...)``).

Real flows through the gate on JWT sessions, with the in-memory store and with a real Redis
(``redis-server`` on loopback). A second browser's cookie is refused after a reset or a change;
whoever changed the password stays signed in, on a re-issued token (a new ``sid``). Time moves
on between steps as it does for people: a session that started in the very millisecond of the
change would survive it (SECURITY.md decision 16).
"""

from __future__ import annotations

import contextlib
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from _support.redis_server import RedisServer, running_redis
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.revocation import MemoryRevocationStore, RevocationUnavailableError
from authgate.revocation.redis import RedisRevocationStore
from blackbox.conftest import NOW, SESSION, Client, body_json, decode_session, query_of

from .conftest import EMAIL, STRONG, Mailbox, Setup, build, enrol, sign_in, signed_up

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from authgate.revocation import RevocationStore

pytestmark = pytest.mark.anyio

NEW = "another long passphrase, 2nd"
MINUTE = 60.0


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with running_redis() as server:
        yield server


async def make_store(kind: str, request: pytest.FixtureRequest) -> RevocationStore:
    if kind == "memory":
        return MemoryRevocationStore()
    server: RedisServer = request.getfixturevalue("redis_server")
    return RedisRevocationStore(url=server.url, prefix=f"authgate-test:{uuid.uuid4().hex}:")


@pytest.fixture(params=["memory", "redis"])
async def revocable(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Setup]:
    """JWT sessions on SQLite, with the store of the parameter."""
    store = await make_store(request.param, request)
    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    mailbox = Mailbox()
    try:
        yield Setup(build(adapter, "jwt", mailbox, revocation=store), adapter, mailbox, "jwt")
    finally:
        await store.aclose()
        await adapter.close()


async def user_of(client: Client) -> Any:
    return body_json(await client.get("/session")).get("user")


async def second_browser(setup: Setup, at: float) -> Client:
    client = setup.client(now=at)
    assert (await sign_in(client)).status == 302
    assert (await user_of(client))["email"] == EMAIL
    return client


def at(client: Client, moment: float) -> Client:
    client.now = moment
    return client


async def change(client: Client, current: str = STRONG, new: str = NEW, **extra: str) -> Any:
    token = await client.csrf()
    form = {"csrfToken": token, "currentPassword": current, "newPassword": new, **extra}
    return await client.post("/change-password", form=form)


async def reset(setup: Setup, client: Client, password: str = NEW) -> Any:
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    return await client.post(
        "/reset-password", form={"csrfToken": token, **params, "password": password}
    )


async def test_reset_ends_every_jwt_session(revocable: Setup) -> None:
    owner = await signed_up(revocable)
    other = await second_browser(revocable, NOW + 1)
    stranger = at(revocable.client(), NOW + MINUTE)
    done = await reset(revocable, stranger)
    assert done.redirect == "http://localhost:3000/api/auth/reset-password?done=1&provider=password"

    for client in (at(owner, NOW + 2 * MINUTE), at(other, NOW + 2 * MINUTE)):
        assert SESSION in client.jar, "the browser still holds its cookie"
        assert await user_of(client) is None, "but the reset ended that session"
        refused = await change(client, current=NEW, new=NEW + " again")
        assert query_of(refused.redirect or "")["error"] == ["SessionRequired"]

    fresh = at(revocable.client(), NOW + 2 * MINUTE)
    assert (await sign_in(fresh, password=NEW)).status == 302
    assert (await user_of(fresh))["email"] == EMAIL, "a sign-in after the reset is a session"


async def test_change_ends_other_sessions_and_keeps_this_one(revocable: Setup) -> None:
    owner = await signed_up(revocable)
    other = await second_browser(revocable, NOW + 1)
    copied = dict(owner.jar)  # the owner's cookie, as a thief might have kept it
    before = decode_session_cookie(owner)

    done = await change(at(owner, NOW + MINUTE))
    assert done.status == 302
    assert (
        done.redirect == "http://localhost:3000/api/auth/change-password?done=1&provider=password"
    )
    after = decode_session(done, now=NOW + MINUTE)
    assert after["sid"] != before["sid"], "the session is re-issued as a new one"
    assert after["sub"] == before["sub"]
    assert after["email"] == EMAIL

    at(owner, NOW + 2 * MINUTE)
    assert (await user_of(owner))["email"] == EMAIL, "the changer stays signed in"
    page = await owner.get("/change-password", query={"done": "1"})
    assert b"Your other sessions have ended." in page.body
    assert await user_of(at(other, NOW + 2 * MINUTE)) is None, "the other browser is out"
    thief = Client(revocable.gate, jar=copied, now=NOW + 2 * MINUTE)
    assert await user_of(thief) is None, "a copy of the old cookie is refused"

    again = await change(owner, current=NEW, new=NEW + " again")
    assert again.status == 302, "the re-issued session can change the password again"
    assert (await user_of(at(owner, NOW + 3 * MINUTE)))["email"] == EMAIL


async def test_change_keeps_the_second_factor_of_the_session(revocable: Setup) -> None:
    owner = await signed_up(revocable)
    await enrol(owner)
    done = await change(at(owner, NOW + MINUTE), json="true")
    assert done.status == 200
    assert body_json(done) == {
        "url": "http://localhost:3000/api/auth/change-password?done=1&provider=password"
    }
    assert decode_session(done, now=NOW + MINUTE)["amr"] == ["pwd", "otp"]


async def test_without_a_store_other_jwt_sessions_last_until_they_expire(
    tmp_path: Path,
) -> None:
    adapter, mailbox = SQLAlchemyAdapter(tmp_path / "auth.db"), Mailbox()
    setup = Setup(build(adapter, "jwt", mailbox), adapter, mailbox, "jwt")
    try:
        owner = await signed_up(setup)
        other = await second_browser(setup, NOW + 1)
        assert (await change(at(owner, NOW + MINUTE))).status == 302
        assert (await user_of(at(other, NOW + 2 * MINUTE)))["email"] == EMAIL, (
            "documented: without a revocation store a JWT session cannot be ended early"
        )
    finally:
        await adapter.close()


class Unreachable(MemoryRevocationStore):
    """Reads answer, writes fail: as a Redis that became a read-only replica (below)."""

    down = False

    async def end_user(self, user_id: str, *, at: float, ttl: float) -> None:
        if self.down:
            raise RevocationUnavailableError("ConnectionError")
        await super().end_user(user_id, at=at, ttl=ttl)


@pytest.fixture(params=["memory", "redis-replica"])
async def failing(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """A setup and a switch that makes the store refuse writes while reads still work."""
    adapter, mailbox = SQLAlchemyAdapter(tmp_path / "auth.db"), Mailbox()
    with contextlib.ExitStack() as stack:
        if request.param == "memory":
            store: Any = Unreachable()

            async def switch() -> None:
                store.down = True

        else:
            server = stack.enter_context(running_redis())
            store = RedisRevocationStore(url=server.url)

            async def switch() -> None:
                # A failover left the store on a replica: reads answer, every write is READONLY.
                client: Any = store.client
                await client.execute_command("REPLICAOF", "127.0.0.1", "9")

        setup = Setup(build(adapter, "jwt", mailbox, revocation=store), adapter, mailbox, "jwt")
        try:
            yield setup, switch
        finally:
            await store.aclose()
            await adapter.close()


async def test_a_change_the_store_cannot_record_changes_nothing(failing: Any) -> None:
    setup, break_store = failing
    owner = await signed_up(setup)
    other = await second_browser(setup, NOW + 1)
    await break_store()
    refused = await change(at(owner, NOW + MINUTE))
    assert refused.status == 302
    assert query_of(refused.redirect or "")["error"] == ["Callback"]
    assert not [c for c in refused.cookies if c.name == SESSION], "the session is untouched"
    assert (await user_of(at(other, NOW + 2 * MINUTE)))["email"] == EMAIL
    old = at(setup.client(), NOW + 2 * MINUTE)
    assert (await sign_in(old)).redirect == "http://localhost:3000", "the old password works"

    json_mode = await change(owner, json="true")
    assert json_mode.status == 503
    assert body_json(json_mode) == {"url": "http://localhost:3000/api/auth/error?error=Callback"}


async def test_a_reset_the_store_cannot_record_keeps_the_link(failing: Any) -> None:
    setup, break_store = failing
    await signed_up(setup)
    client = at(setup.client(), NOW + MINUTE)
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    await break_store()
    form = {"csrfToken": token, **params, "password": NEW}
    refused = await client.post("/reset-password", form=form)
    assert query_of(refused.redirect or "")["error"] == ["Callback"]
    assert (await sign_in(client)).redirect == "http://localhost:3000", "password unchanged"
    page = await client.get("/reset-password", query=params)
    assert page.status == 200
    assert b'name="token"' in page.body, "the link was not used up"


def decode_session_cookie(client: Client) -> Any:
    from authgate import jwt as authjwt
    from blackbox.conftest import SECRET

    token = client.session_token()
    assert token is not None
    return authjwt.decode(token, SECRET, now=client.now)
