"""Database sessions on a real PostgreSQL that is stopped mid-run and started again.

Sign-out during the outage must not look like success: the row would outlive the cleared
cookie (compatibility row 90). After the restart the pooled connections recover by themselves
(a write's connection is tested before use; the session read, on its own connections, reads
once more through SQLAlchemy when one failed, and drops the dead ones): the first request
already works, no refusal, no restart of the app. An e-mail link followed as the server goes
down is not used up: it signs in once the server is back.
In CI (``CI=true``) a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import pytest

from _support.postgres_server import PostgresServer, running_postgres
from authgate import AuthRequest, Events, SessionConfig
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter

from .conftest import NOW, ORIGIN, SESSION, URL, Client, body_json, query_of
from .test_database_sessions import db_gate
from .test_email import Outbox, email_gate, follow, request_link

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

pytestmark = pytest.mark.anyio

SIGN_OUT_FAILED = f"{URL}/error?error=SignOut"


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with running_postgres() as made:
        yield made


@pytest.fixture
def pg(server: PostgresServer) -> Iterator[PostgresServer]:
    """The module's server, running again after each test whatever the test did to it."""
    yield server
    if server.process is None:
        server.resume()


@pytest.fixture
async def adapter(pg: PostgresServer) -> AsyncIterator[SQLAlchemyAdapter]:
    made = SQLAlchemyAdapter(
        pg.url,
        create=True,
        table_prefix=f"t{secrets.token_hex(4)}_",
        engine_options={"pool_size": 2, "max_overflow": 0, "pool_timeout": 5},
    )
    assert made.engine.pool.size() == 2  # type: ignore[attr-defined]
    try:
        yield made
    finally:
        await made.close()


async def sign_out(client: Client, **form: str) -> Any:
    return await client.post("/signout", form={"csrfToken": await client.csrf(), **form})


async def test_sign_out_during_an_outage_keeps_the_cookie_and_the_retry_ends_the_session(
    pg: PostgresServer, adapter: SQLAlchemyAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    ended: list[Any] = []
    gate = db_gate(adapter, events=Events(sign_out=lambda session: ended.append(session)))
    client = Client(gate)
    assert (await client.sign_in()).redirect == ORIGIN
    token = client.jar[SESSION]
    csrf = await client.csrf()  # before the outage: the CSRF check needs no database

    pg.halt()
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.redirect == SIGN_OUT_FAILED
    assert SESSION not in [c.name for c in response.cookies], "the cookie is kept for a retry"
    assert client.jar[SESSION] == token
    assert "SIGNOUT_ERROR" in caplog.text
    assert token not in caplog.text
    assert ended == [], "no sign_out event for a session that did not end"

    answer = await client.post("/signout", form={"csrfToken": csrf, "json": "true"})
    assert (answer.status, body_json(answer)) == (503, {"url": SIGN_OUT_FAILED})
    page = await client.get("/error", query={"error": "SignOut"})
    assert page.status == 503
    assert "you are still signed in" in page.body.decode()
    assert f'href="{URL}/signout"' in page.body.decode(), "a way to try again"

    pg.resume()
    assert (await client.get("/session")).status == 200
    assert body_json(await client.get("/session"))["user"]["email"] == "ada@example.com"
    response = await sign_out(client)
    assert response.redirect == ORIGIN
    assert SESSION not in client.jar
    assert await adapter.get_session_and_user(token) is None, "the row is gone"
    assert [e["sessionToken"] for e in ended] == [token]


@pytest.mark.parametrize("first", ["read", "write"])
async def test_a_restarted_database_is_not_a_refusal(
    pg: PostgresServer, adapter: SQLAlchemyAdapter, caplog: pytest.LogCaptureFixture, first: str
) -> None:
    client = Client(db_gate(adapter))
    await client.sign_in()
    token = client.jar[SESSION]
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"
    assert adapter._direct is not None
    read_pool = adapter._direct.current  # the session read's own connections
    assert read_pool is not None
    dead = list(read_pool._idle)
    assert dead
    pg.halt()
    pg.resume()
    # The pooled connections died with the server; the first request after the restart works,
    # a session read (its own connection fails: it reads once more through SQLAlchemy on a
    # tested connection) or a write (its connection is tested before use).
    with caplog.at_level(logging.ERROR, logger="authgate"):
        if first == "read":
            assert body_json(await client.get("/session"))["user"]["name"] == "Ada"
        assert (await sign_out(client)).redirect == ORIGIN
    assert "SESSION_ERROR" not in caplog.text
    assert "SIGNOUT_ERROR" not in caplog.text
    assert await adapter.get_session_and_user(token) is None
    # The read's own pool recovered: a new connection, none of the dead ones kept.
    assert adapter._direct.current is read_pool
    assert read_pool._idle
    assert not set(map(id, read_pool._idle)) & set(map(id, dead))
    assert all(c.is_closed() for c in dead)


async def test_during_the_outage_the_session_is_unknown_but_not_ended(
    pg: PostgresServer, adapter: SQLAlchemyAdapter
) -> None:
    client = Client(db_gate(adapter))
    await client.sign_in()
    token = client.jar[SESSION]
    pg.halt()
    response = await client.get("/session")
    assert body_json(response) == {}
    assert SESSION not in [c.name for c in response.cookies]
    request = AuthRequest.build(method="GET", path="/", headers=[("cookie", f"{SESSION}={token}")])
    assert await client.gate.get_session(request, now=NOW) is None
    assert adapter._direct is not None
    read_pool = adapter._direct.current
    assert read_pool is not None
    assert read_pool.size == 0, "the read's dead connections are dropped, none answered"
    pg.resume()
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"


async def test_the_authjs_v5_profile_shows_the_failed_sign_out_too(
    pg: PostgresServer, adapter: SQLAlchemyAdapter
) -> None:
    client = Client(db_gate(adapter, profile="authjs-v5"))
    await client.sign_in()
    csrf = await client.csrf()
    pg.halt()
    failed = f"{URL}/error?error=SignOut"
    assert (await client.post("/signout", form={"csrfToken": csrf})).redirect == failed
    assert "authjs.session-token" in client.jar
    page = await client.get("/error", query={"error": "SignOut"})
    assert (page.status, "you are still signed in" in page.body.decode()) == (503, True)


class DownAtTheSession(SQLAlchemyAdapter):
    """Stops the real server just before the sign-in's session row is written."""

    server: PostgresServer | None = None

    async def create_session(self, session: Any) -> Any:
        if DownAtTheSession.server is not None:
            DownAtTheSession.server.halt()
        return await super().create_session(session)


async def test_a_link_followed_as_the_database_goes_down_stays_usable(
    pg: PostgresServer, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = DownAtTheSession(pg.url, create=True, table_prefix=f"t{secrets.token_hex(4)}_")
    outbox = Outbox()
    client = Client(email_gate(adapter, outbox, session=SessionConfig(strategy="database")))
    try:
        await request_link(client)
        DownAtTheSession.server = pg
        with caplog.at_level(logging.ERROR, logger="authgate"):
            failed = await follow(client, outbox)
        DownAtTheSession.server = None
        assert query_of(failed.redirect or "")["error"] == ["Callback"]
        assert SESSION not in client.jar
        pg.resume()
        assert await adapter.get_user_by_email("ada@example.com") is None, "nothing half-written"
        assert (await follow(client, outbox)).redirect == ORIGIN, "the link was not used up"
        assert body_json(await client.get("/session"))["user"]["email"] == "ada@example.com"
        again = await follow(Client(client.gate), outbox)
        assert query_of(again.redirect or "")["error"] == ["Verification"], "then it is"
    finally:
        DownAtTheSession.server = None
        await adapter.close()
