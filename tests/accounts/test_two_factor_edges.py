"""Two-factor at its edges: what a user or an attacker sees when something is off.

Credentials users (``authorize`` decides, no argon2 to wait for) on a MemoryAdapter: a sign-in
too big for the pending cookie, a factor turned off or a secret rotated away between the two
factors, a user deleted meanwhile, malformed answers, the settings route's refusals, and a
database that fails to keep or read the session's methods.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest

from authgate import AuthRequest, SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from blackbox.conftest import (
    NOW,
    PASSWORD,
    SESSION,
    USER,
    Client,
    body_json,
    credentials_provider,
    make_gate,
    query_of,
)

from .conftest import answer, code_at, enrol
from .test_failures import Broken

if TYPE_CHECKING:
    from authgate import AuthGate

pytestmark = pytest.mark.anyio

STEP = 30
TWO_FACTOR = "http://localhost:3000/api/auth/two-factor"
SETUP = "/two-factor-setup"
SUBJECT = "credentials:1"  # a Credentials user's factors, on JWT sessions


def gate_for(
    user: dict[str, Any] | None = None,
    *,
    adapter: Any = None,
    strategy: str = "jwt",
    secret: str | None = None,
) -> tuple[AuthGate, Any, dict[str, Any]]:
    """A gate whose ``authorize`` returns ``state["user"]`` (changeable) for ada's password."""
    state = {"user": dict(user or USER)}

    def authorize(credentials: Any, request: Any) -> Any:
        ok = credentials.get("username") == "ada" and credentials.get("password") == PASSWORD
        return dict(state["user"]) if ok else None

    adapter = adapter if adapter is not None else MemoryAdapter()
    extra: dict[str, Any] = {"secret": secret} if secret else {}
    provider = credentials_provider(authorize, database_session=strategy == "database")
    gate = make_gate(
        providers=[provider],
        adapter=adapter,
        session=SessionConfig(strategy=strategy),  # type: ignore[arg-type]
        two_factor=TwoFactor(),
        **extra,
    )
    return gate, adapter, state


async def enrolled(gate: AuthGate) -> tuple[Client, str, list[str]]:
    owner = Client(gate)
    assert (await owner.sign_in()).status == 302
    secret, codes = await enrol(owner)
    return owner, secret, codes


async def pending(gate: AuthGate, at: float = NOW + STEP) -> Client:
    client = Client(gate, now=at)
    assert (await client.sign_in()).redirect == TWO_FACTOR
    return client


async def post_setup(client: Client, op: str, **fields: str) -> Any:
    token = await client.csrf()
    return await client.post(SETUP, form={"csrfToken": token, "op": op, **fields})


async def test_a_sign_in_too_big_for_the_pending_cookie_is_refused_not_half_done(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate, _, state = gate_for()
    await enrolled(gate)
    state["user"] = {**USER, "roles": ["admin"] * 3, "bio": "x" * 6000}
    client = Client(gate, now=NOW + STEP)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.sign_in()
    assert query_of(response.redirect or "")["error"] == ["Configuration"]
    assert client.jar.keys() <= {"next-auth.csrf-token", "next-auth.callback-url"}
    assert "does not fit in the pending cookie" in caplog.text


async def test_a_user_that_is_not_json_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    gate, _, state = gate_for()
    await enrolled(gate)
    state["user"] = {**USER, "tags": {"a", "b"}}  # a set: nothing JSON can carry
    client = Client(gate, now=NOW + STEP)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.sign_in()
    assert query_of(response.redirect or "")["error"] == ["Configuration"]
    assert SESSION not in client.jar


async def test_a_factor_turned_off_between_the_two_steps_cannot_finish() -> None:
    gate, adapter, _ = gate_for()
    _, secret, _ = await enrolled(gate)
    client = await pending(gate)
    await adapter.disable_two_factor(SUBJECT)  # e.g. the owner, on another device
    refused = await answer(client, code=code_at(secret, NOW + STEP))
    assert refused.status == 400
    assert b"That code is not right." in refused.body
    assert SESSION not in client.jar


async def test_a_secret_rotated_away_refuses_codes_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate, adapter, _ = gate_for()
    _, secret, _ = await enrolled(gate)
    rotated, _, _ = gate_for(adapter=adapter, secret="an entirely new secret, old one dropped")
    client = await pending(rotated)
    with caplog.at_level(logging.ERROR, logger="authgate"):
        refused = await answer(client, code=code_at(secret, NOW + STEP))
    assert refused.status == 400
    assert SESSION not in client.jar
    assert "a stored secret does not open" in caplog.text


@pytest.mark.parametrize("typed", ["abc", "aaaaa-aaaa0", "aaaaa-aaaaaa", "ááááá-ááááá"])
async def test_a_malformed_recovery_code_is_refused(typed: str) -> None:
    gate, adapter, _ = gate_for()
    await enrolled(gate)
    client = await pending(gate)
    refused = await answer(client, recoveryCode=typed, json="true")
    assert refused.status == 400
    assert body_json(refused) == {"error": "InvalidCode"}
    assert await adapter.count_recovery_codes(SUBJECT) == 10


async def test_a_user_deleted_between_the_two_steps_cannot_sign_in() -> None:
    gate, adapter, _ = gate_for(strategy="database")
    _, secret, _ = await enrolled(gate)
    client = await pending(gate)
    [user] = adapter.dump()["users"]
    await adapter.delete_user(user["id"])
    response = await answer(client, code=code_at(secret, NOW + STEP), json="true")
    assert response.status == 400, "the factor went with the user"
    assert body_json(response) == {"error": "InvalidCode"}
    assert SESSION not in client.jar


async def test_settings_refusals() -> None:
    plain = make_gate(adapter=MemoryAdapter(), session=SessionConfig(strategy="jwt"))
    client = Client(plain)
    await client.sign_in()
    token = await client.csrf()
    off = await client.post(SETUP, form={"csrfToken": token, "op": "enable", "code": "123456"})
    assert off.status == 400, "no two-factor configured: v4's unsupported action"
    assert b"is not supported by NextAuth.js" in off.body

    gate, adapter, _ = gate_for()
    owner = Client(gate)
    await owner.sign_in()
    no_csrf = await owner.post(SETUP, form={"op": "enable", "code": "123456"})
    assert no_csrf.redirect == "http://localhost:3000/api/auth/two-factor-setup?csrf=true"
    unknown = await post_setup(owner, "delete-everything", code="123456")
    assert unknown.status == 400
    assert b"Fill in every field." in unknown.body
    not_started = await post_setup(owner, "enable", code="123456")
    assert not_started.redirect == "http://localhost:3000/api/auth/two-factor-setup"
    nothing_to_regenerate = await post_setup(owner, "regenerate", code="123456")
    assert nothing_to_regenerate.redirect == "http://localhost:3000/api/auth/two-factor-setup"
    assert await adapter.get_two_factor(SUBJECT) is None


async def test_an_enrolment_started_by_another_user_cannot_be_finished() -> None:
    gate, adapter, state = gate_for()
    mallory = Client(gate)
    await mallory.sign_in()
    await mallory.get(SETUP)  # the enrolment cookie of user 1
    state["user"] = {**USER, "id": "2"}
    victim = Client(gate, jar={k: v for k, v in mallory.jar.items() if k != SESSION})
    await victim.sign_in()
    finished = await post_setup(victim, "enable", code="123456")
    assert finished.redirect == "http://localhost:3000/api/auth/two-factor-setup", "start again"
    assert await adapter.get_two_factor("credentials:2") is None


async def test_enrolment_in_json_mode_returns_the_codes_uncached() -> None:
    gate, _, _ = gate_for()
    owner = Client(gate)
    await owner.sign_in()
    page = await owner.get(SETUP)
    from .conftest import SECRET_TEXT

    found = SECRET_TEXT.search(page.body)
    assert found
    secret = found.group(1).decode().replace(" ", "")
    done = await post_setup(owner, "enable", code=code_at(secret, NOW), json="true")
    assert done.status == 200
    assert done.header("cache-control") == "no-store"
    codes = body_json(done)["recoveryCodes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10


async def test_settings_when_the_database_fails() -> None:
    adapter = Broken()
    gate, _, _ = gate_for(adapter=adapter)
    owner, secret, _ = await enrolled(gate)
    adapter.broken = {"replace_recovery_codes"}
    at = NOW + STEP
    failed = await owner.post(
        SETUP,
        form={"csrfToken": await owner.csrf(), "op": "regenerate", "code": code_at(secret, at)},
        now=at,
    )
    assert query_of(failed.redirect or "")["error"] == ["Callback"]
    assert await adapter.count_recovery_codes(SUBJECT) == 10, "the old codes stay"
    adapter.broken = set()
    again = await owner.post(
        SETUP,
        form={"csrfToken": await owner.csrf(), "op": "regenerate", "code": code_at(secret, at)},
        now=at,
    )
    assert again.status == 200, "the same code works: its use was rolled back with the change"


async def test_methods_the_database_cannot_keep_read_as_no_second_factor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    adapter = Broken()
    gate, _, _ = gate_for(adapter=adapter, strategy="database")
    _, secret, _ = await enrolled(gate)
    client = await pending(gate)
    adapter.broken = {"set_session_methods"}
    with caplog.at_level(logging.ERROR, logger="authgate"):
        done = await answer(client, code=code_at(secret, NOW + STEP))
    assert done.redirect == "http://localhost:3000"
    assert SESSION in client.jar, "the session itself was stored"
    assert "TWO_FACTOR_SESSION_ERROR" in caplog.text
    adapter.broken = set()
    assert await methods(gate, client) == [], "no second factor recorded: it is asked again"

    caplog.clear()
    stepped = await answer(client, code=code_at(secret, NOW + 2 * STEP), now=NOW + 2 * STEP)
    assert stepped.status == 302
    assert await methods(gate, client) == ["otp"]
    adapter.broken = {"get_session_methods"}
    with caplog.at_level(logging.ERROR, logger="authgate"):
        page = await client.get("/two-factor")
    assert page.status == 200, "methods that cannot be read: the factor is asked again"
    assert "TWO_FACTOR_SESSION_ERROR" in caplog.text


def request_of(client: Client) -> AuthRequest:
    cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
    return AuthRequest.build(
        method="GET", path="/", headers=[("cookie", cookie), ("host", "localhost:3000")]
    )


async def methods(gate: AuthGate, client: Client) -> list[str] | None:
    return await gate.get_sign_in_methods(request_of(client), now=client.now)


async def test_a_credentials_user_without_an_id_has_no_factor_to_ask() -> None:
    gate, _, _ = gate_for({"name": "Ada", "email": "ada@example.com"})
    client = Client(gate)
    response = await client.sign_in()
    assert response.redirect == "http://localhost:3000", "nothing to look a factor up by"
    assert body_json(await client.get("/session"))["user"] == {
        "name": "Ada",
        "email": "ada@example.com",
    }
    page = await client.get(SETUP)
    assert query_of(page.redirect or "")["error"] == ["SessionRequired"], "none can be enrolled"


async def test_has_second_factor_follows_the_session() -> None:
    gate, _, _ = gate_for()
    _, secret, _ = await enrolled(gate)
    client = await pending(gate)
    assert not await gate.has_second_factor(request_of(client), now=client.now)
    await answer(client, code=code_at(secret, NOW + STEP))
    assert await gate.has_second_factor(request_of(client), now=client.now)
