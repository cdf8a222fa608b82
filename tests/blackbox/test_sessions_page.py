"""The signed-in user's sessions page (``/sessions``): list, end one, end the others, JSON mode.

Database sessions (memory and SQLite adapters, devices recorded) and JWT sessions with a
revocation store; every bad input ends on a documented answer, never a 500.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from authgate import SessionConfig
from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials
from authgate.revocation import MemoryRevocationStore

from . import test_session_admin
from .conftest import NOW, PASSWORD, SESSION, URL, Client, body_json, make_gate

if TYPE_CHECKING:
    from authgate import AuthGate

pytestmark = pytest.mark.anyio

adapter = test_session_admin.adapter  # the fixture: memory and SQLite

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1 <script>alert(1)</script>"
)
JSON = [("accept", "application/json")]


def anyone(credentials: Any, request: Any) -> dict[str, Any] | None:
    name = credentials.get("username")
    if credentials.get("password") != PASSWORD or not isinstance(name, str):
        return None
    return {"id": name, "name": name, "email": f"{name}@example.com"}


def database_gate(adapter: Any) -> AuthGate:
    provider = Credentials(authorize=anyone, database_session=True)
    return make_gate(providers=[provider], adapter=adapter, session=SessionConfig(devices=True))


async def device(gate: AuthGate, user: str, agent: str, host: str) -> Client:
    client = Client(gate, headers=[("user-agent", agent)], client_host=host)
    response = await client.sign_in(username=user)
    assert response.status == 302, response.body
    return client


async def sessions_of(gate: AuthGate, name: str, now: float = NOW) -> list[Any]:
    """``gate.list_sessions`` of the stored user ``name`` signed in as (the admin API)."""
    adapter: Any = gate.config.adapter
    user = await adapter.get_user_by_email(f"{name}@example.com")
    return await gate.list_sessions(user["id"], now=now)


def sid(client: Client) -> str:
    return hashlib.sha256(client.jar[SESSION].encode()).hexdigest()[:32]


async def end(client: Client, **form: str) -> Any:
    return await client.post("/sessions", form={"csrfToken": await client.csrf(), **form})


async def listed(client: Client) -> list[dict[str, Any]]:
    response = await client.get("/sessions", headers=JSON)
    assert response.status == 200, response.body
    sessions: list[dict[str, Any]] = body_json(response)["sessions"]
    return sessions


async def test_the_page_lists_the_users_sessions_with_their_devices(adapter: Any) -> None:
    gate = database_gate(adapter)
    laptop = await device(gate, "ada", FIREFOX, "203.0.113.77")
    phone = await device(gate, "ada", SAFARI, "2001:db8:1:2::5")
    await device(gate, "grace", FIREFOX, "198.51.100.1")

    page = await laptop.get("/sessions")
    assert page.status == 200
    html = page.body.decode()
    assert "Firefox on Linux" in html
    assert "Safari on iOS" in html
    assert "203.0.113.0/24" in html
    assert "2001:db8:1::/48" in html
    assert "203.0.113.77" not in html
    assert "<script>alert" not in html, "the user agent is only summarised"
    assert laptop.jar[SESSION] not in html
    assert phone.jar[SESSION] not in html
    assert html.count("data-session-row") == 2, "only this user's sessions"
    assert "Signed in: 2027-01-15 08:00:00 UTC" in html

    rows = await listed(laptop)
    assert [r["current"] for r in rows] == [True, False]
    assert rows[0] == {
        "id": sid(laptop),
        "current": True,
        "browser": "Firefox",
        "system": "Linux",
        "ipPrefix": "203.0.113.0/24",
        "created": "2027-01-15T08:00:00Z",
        "lastSeen": "2027-01-15T08:00:00Z",
        "expires": "2027-02-14T08:00:00Z",
    }
    assert rows[1]["id"] == sid(phone)


async def test_last_seen_moves_when_the_session_slides(adapter: Any) -> None:
    gate = database_gate(adapter)
    laptop = await device(gate, "ada", FIREFOX, "203.0.113.7")
    two_days_later = NOW + 2 * 86_400
    await laptop.get("/session", now=two_days_later)
    (row,) = body_json(await laptop.get("/sessions", headers=JSON, now=two_days_later))["sessions"]
    assert row["created"] == "2027-01-15T08:00:00Z"
    assert row["lastSeen"] == "2027-01-17T08:00:00Z"
    infos = await sessions_of(gate, "ada", two_days_later)
    assert [i.user_agent for i in infos] == [FIREFOX]


async def test_end_one_and_then_all_others(adapter: Any) -> None:
    gate = database_gate(adapter)
    laptop = await device(gate, "ada", FIREFOX, "203.0.113.7")
    phone = await device(gate, "ada", SAFARI, "203.0.113.8")
    tablet = await device(gate, "ada", SAFARI, "203.0.113.9")

    response = await end(laptop, op="end", id=sid(phone))
    assert (response.status, response.redirect) == (302, f"{URL}/sessions")
    assert body_json(await phone.get("/session")) == {}
    assert len(await listed(laptop)) == 2

    response = await end(laptop, op="end-others")
    assert response.redirect == f"{URL}/sessions"
    assert body_json(await tablet.get("/session")) == {}
    assert [r["current"] for r in await listed(laptop)] == [True]
    assert "You are not signed in anywhere else." in (await laptop.get("/sessions")).body.decode()


async def test_ending_this_session_signs_out_here() -> None:
    gate = database_gate(MemoryAdapter())
    laptop = await device(gate, "ada", FIREFOX, "203.0.113.7")
    response = await end(laptop, op="end", id=sid(laptop))
    assert response.redirect == f"{URL}/signin"
    assert SESSION not in laptop.jar, "the cookie is cleared"
    assert await sessions_of(gate, "ada") == []


async def test_another_users_session_is_not_found_and_not_ended() -> None:
    gate = database_gate(MemoryAdapter())
    ada = await device(gate, "ada", FIREFOX, "203.0.113.7")
    grace = await device(gate, "grace", FIREFOX, "198.51.100.1")
    response = await end(ada, op="end", id=sid(grace))
    assert response.status == 404
    assert "That session was not found." in response.body.decode()
    assert body_json(await grace.get("/session"))["user"]["name"] == "grace"
    as_json = await ada.post(
        "/sessions",
        form={"csrfToken": await ada.csrf(), "op": "end", "id": sid(grace)},
        headers=JSON,
    )
    assert as_json.status == 404
    assert body_json(as_json)["error"] == "That session was not found."


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"op": "end"},
        {"op": "explode", "id": "x"},
        {"op": "end", "id": ""},
        {"op": "end", "id": "\ud800" * 3},
        {"op": "end", "id": "x" * 20_000},
    ],
    ids=["nothing", "no-id", "unknown-op", "empty-id", "surrogates", "huge-id"],
)
async def test_bad_input_is_a_clear_answer(form: dict[str, str]) -> None:
    gate = database_gate(MemoryAdapter())
    ada = await device(gate, "ada", FIREFOX, "203.0.113.7")
    body = form | {"csrfToken": await ada.csrf()}
    response = await ada.post("/sessions", json_body=body)
    assert response.status in (400, 404), response.body
    assert len(await sessions_of(gate, "ada")) == 1


async def test_a_non_string_id_in_json_is_not_understood() -> None:
    gate = database_gate(MemoryAdapter())
    ada = await device(gate, "ada", FIREFOX, "203.0.113.7")
    body = {"csrfToken": await ada.csrf(), "op": "end", "id": [sid(ada)]}
    response = await ada.post("/sessions", json_body=body)
    assert response.status == 400
    assert "That request was not understood." in response.body.decode()


async def test_missing_csrf_ends_nothing() -> None:
    gate = database_gate(MemoryAdapter())
    laptop = await device(gate, "ada", FIREFOX, "203.0.113.7")
    phone = await device(gate, "ada", SAFARI, "203.0.113.8")
    response = await laptop.post("/sessions", form={"op": "end", "id": sid(phone)})
    assert (response.status, response.redirect) == (302, f"{URL}/sessions?csrf=true")
    response = await laptop.post(
        "/sessions", form={"op": "end-others", "csrfToken": "forged|token"}
    )
    assert response.redirect == f"{URL}/sessions?csrf=true"
    assert len(await sessions_of(gate, "ada")) == 2


async def test_not_signed_in() -> None:
    gate = database_gate(MemoryAdapter())
    stranger = Client(gate)
    response = await stranger.get("/sessions")
    assert response.status == 302
    assert (
        response.redirect
        == f"{URL}/signin?callbackUrl={URL.replace(':', '%3A').replace('/', '%2F')}%2Fsessions"
    )
    response = await stranger.get("/sessions", headers=JSON)
    assert (response.status, body_json(response)) == (401, {"error": "SessionRequired"})
    response = await end(stranger, op="end-others")
    assert response.status == 302
    assert response.redirect is not None
    assert response.redirect.startswith(f"{URL}/signin?")


async def test_a_failing_adapter_is_a_503() -> None:
    class Broken(MemoryAdapter):
        async def get_sessions_by_user(self, user_id: str) -> Any:
            raise ConnectionError("down")

    gate = database_gate(Broken())
    ada = await device(gate, "ada", FIREFOX, "203.0.113.7")
    assert (await ada.get("/sessions")).status == 503
    assert (await end(ada, op="end-others")).status == 503


async def test_jwt_sessions_with_a_revocation_store_offer_sign_out_everywhere() -> None:
    gate = make_gate(revocation=MemoryRevocationStore())
    laptop, phone = Client(gate), Client(gate, now=NOW - 60)  # the phone signed in earlier
    await laptop.sign_in()
    await phone.sign_in()
    phone.now = NOW
    html = (await laptop.get("/sessions")).body.decode()
    assert "Sign out everywhere" in html
    assert html.count("data-session-row") == 1
    (row,) = await listed(laptop)
    assert row["current"] is True
    assert row["created"] == "2027-01-15T08:00:00Z"

    token = laptop.jar[SESSION]
    other = await end(laptop, op="end", id="not-this-session")
    assert other.status == 404
    response = await end(laptop, op="end-all")
    assert response.redirect == f"{URL}/signin"
    assert SESSION not in laptop.jar
    assert body_json(await phone.get("/session")) == {}, "ended on every device"
    assert body_json(await laptop.get("/session", cookie_header=f"{SESSION}={token}")) == {}


async def test_jwt_end_this_session_only() -> None:
    gate = make_gate(revocation=MemoryRevocationStore())
    laptop, phone = Client(gate), Client(gate)
    await laptop.sign_in()
    await phone.sign_in()
    (row,) = await listed(laptop)
    assert (await end(laptop, op="end", id=row["id"])).redirect == f"{URL}/signin"
    assert body_json(await laptop.get("/session", cookie_header=f"{SESSION}={phone.jar[SESSION]}"))
    assert body_json(await phone.get("/session"))["user"]["name"] == "Ada"


async def test_without_a_way_to_end_sessions_the_route_is_not_there() -> None:
    client = Client(make_gate())
    await client.sign_in()
    response = await client.get("/sessions")
    assert response.status == 400
    assert b"not supported" in response.body


def test_devices_need_database_sessions_and_a_capable_adapter() -> None:
    from authgate.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="database sessions"):
        make_gate(session=SessionConfig(devices=True))

    class Plain(MemoryAdapter):
        set_session_device = None  # type: ignore[assignment]

    with pytest.raises(ConfigurationError, match="SessionDevices"):
        database_gate(Plain())
