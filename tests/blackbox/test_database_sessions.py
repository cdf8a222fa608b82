"""Database sessions (SECURITY.md, decisions 2 and 15), black-box through the gate."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from authgate import AuthConfig, Events, SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.errors import ConfigurationError
from authgate.providers import Credentials, Email, console_sender

from .conftest import NOW, SESSION, USER, Client, body_json, check_password, make_gate, query_of

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

DAY = 86_400


def db_gate(adapter: Any, **config: Any) -> Any:
    provider = Credentials(
        authorize=check_password,
        credentials={"username": {"label": "Username"}, "password": {"type": "password"}},
        database_session=True,
    )
    config.setdefault("providers", [provider])
    return make_gate(adapter=adapter, **config)


def stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


async def test_sign_in_stores_a_random_256_bit_token() -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate(adapter))
    response = await client.sign_in()
    assert response.status == 302
    token = client.jar[SESSION]
    assert re.fullmatch(r"[0-9a-f]{64}", token), "256 bits from secrets, hex"
    tables = adapter.dump()
    [session] = tables["sessions"]
    assert session["sessionToken"] == token
    assert session["expires"] == stamp(NOW + 30 * DAY)
    [user] = tables["users"]
    assert user["email"] == "ada@example.com"
    [account] = tables["accounts"]
    assert account["type"] == "credentials"
    assert account["providerAccountId"] == "1"
    assert account["userId"] == user["id"]

    second = Client(client.gate)
    await second.sign_in()
    assert second.jar[SESSION] != token
    assert len(adapter.dump()["users"]) == 1, "the account is found again, no second user"


async def test_session_body_and_the_session_callback_gets_the_user() -> None:
    seen: list[Any] = []

    def session_cb(session: Any, user: Any) -> Any:
        seen.append(user)
        return {**session, "uid": user["id"]}

    from authgate import Callbacks

    client = Client(db_gate(MemoryAdapter(), callbacks=Callbacks(session=session_cb)))
    await client.sign_in()
    response = await client.get("/session")
    body = body_json(response)
    assert body["user"] == {"name": "Ada", "email": "ada@example.com", "image": USER["image"]}
    assert body["expires"] == "2027-02-14T08:00:00.000Z"
    assert body["uid"] == seen[0]["id"]
    [cookie] = response.cookies
    assert cookie.name == SESSION


async def test_sliding_expiry_after_update_age() -> None:
    adapter = MemoryAdapter()
    gate = db_gate(adapter, session=SessionConfig(max_age=DAY, update_age=3600))
    client = Client(gate)
    await client.sign_in()
    await client.get("/session", now=NOW + 1800)
    assert adapter.dump()["sessions"][0]["expires"] == stamp(NOW + DAY), "not yet"
    body = body_json(await client.get("/session", now=NOW + 3700))
    assert body["expires"] == "2027-01-16T08:00:00.000Z", "the body shows the stored value"
    assert adapter.dump()["sessions"][0]["expires"] == stamp(NOW + 3700 + DAY)
    # Used within each day, it never ends.
    body = body_json(await client.get("/session", now=NOW + DAY + 3000))
    assert body["user"]["email"] == "ada@example.com"


async def test_expired_session_is_deleted_and_the_cookie_cleared() -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate(adapter, session=SessionConfig(max_age=DAY)))
    await client.sign_in()
    response = await client.get("/session", now=NOW + DAY + 1)
    assert body_json(response) == {}
    assert [(c.name, c.max_age) for c in response.cookies] == [(SESSION, 0)]
    assert adapter.dump()["sessions"] == []


async def test_sign_out_deletes_the_row_and_fires_sign_out_with_it() -> None:
    adapter = MemoryAdapter()
    events: list[Any] = []
    client = Client(
        db_gate(adapter, events=Events(sign_out=lambda session: events.append(session)))
    )
    await client.sign_in()
    token = client.jar[SESSION]
    csrf = await client.csrf()
    response = await client.post("/signout", form={"csrfToken": csrf})
    assert response.status == 302
    assert adapter.dump()["sessions"] == []
    assert events[0]["sessionToken"] == token
    assert SESSION not in client.jar


async def test_revocation_by_deleting_the_row() -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate(adapter))
    await client.sign_in()
    await adapter.delete_session(client.jar[SESSION])
    response = await client.get("/session")
    assert body_json(response) == {}
    assert [(c.name, c.max_age) for c in response.cookies] == [(SESSION, 0)]


class DownAdapter(MemoryAdapter):
    down = False

    async def get_session_and_user(self, session_token: str) -> Any:
        if self.down:
            raise ConnectionRefusedError("database down")
        return await super().get_session_and_user(session_token)


async def test_database_down_is_no_session_but_keeps_the_cookie(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = DownAdapter()
    gate = db_gate(adapter)
    client = Client(gate)
    await client.sign_in()
    adapter.down = True
    response = await client.get("/session")
    assert response.status == 200
    assert body_json(response) == {}
    assert response.cookies == [], "an outage must not sign everybody out"
    assert "SESSION_ERROR" in caplog.text
    from authgate import AuthRequest

    request = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", f"{SESSION}={client.jar[SESSION]}")]
    )
    assert await gate.get_session(request, now=NOW) is None
    adapter.down = False
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"
    session = await gate.get_session(request, now=NOW)
    assert session is not None
    assert session["user"]["name"] == "Ada"


class BrokenSessions(SQLAlchemyAdapter):
    async def create_session(self, session: Any) -> Any:
        raise RuntimeError("disk full")


async def test_a_sign_in_failing_midway_leaves_no_user_or_account(tmp_path: Path) -> None:
    adapter = BrokenSessions(tmp_path / "auth.db")
    try:
        client = Client(db_gate(adapter))
        response = await client.sign_in()
        assert query_of(response.redirect or "")["error"] == ["Callback"], response.redirect
        assert SESSION not in client.jar
        assert await adapter.get_user_by_email("ada@example.com") is None
        assert await adapter.get_user_by_account("credentials", "1") is None
    finally:
        await adapter.close()


async def test_database_sessions_on_sqlite_end_to_end(tmp_path: Path) -> None:
    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    try:
        client = Client(db_gate(adapter, session=SessionConfig(max_age=DAY, update_age=60)))
        await client.sign_in()
        assert body_json(await client.get("/session"))["user"]["email"] == "ada@example.com"
        await client.get("/session", now=NOW + 120)
        found = await adapter.get_session_and_user(client.jar[SESSION])
        assert found is not None
        assert found[0]["expires"] == stamp(NOW + 120 + DAY)
        csrf = await client.csrf()
        await client.post("/signout", form={"csrfToken": csrf})
        assert await adapter.get_session_and_user(found[0]["sessionToken"]) is None
    finally:
        await adapter.close()


def test_configuration_rules() -> None:
    plain = Credentials(authorize=check_password)
    with pytest.raises(ConfigurationError, match="database_session=True"):
        AuthConfig(providers=[plain], adapter=MemoryAdapter())
    with pytest.raises(ConfigurationError, match="needs AuthConfig"):
        AuthConfig(providers=[plain], session=SessionConfig(strategy="database"))
    with pytest.raises(ConfigurationError, match="adapter"):
        AuthConfig(providers=[Email(send_verification_request=console_sender)])
    # JWT sessions with an adapter, credentials as before.
    config = AuthConfig(
        providers=[plain], adapter=MemoryAdapter(), session=SessionConfig(strategy="jwt")
    )
    assert config.session_strategy == "jwt"
    assert AuthConfig(providers=[], adapter=MemoryAdapter()).session_strategy == "database"


async def test_jwt_strategy_with_an_adapter_keeps_jwt_cookies() -> None:
    adapter = MemoryAdapter()
    client = Client(make_gate(adapter=adapter, session=SessionConfig(strategy="jwt")))
    await client.sign_in()
    assert client.jar[SESSION].count(".") == 4, "a JWE"
    assert adapter.dump()["sessions"] == []
