"""Two-factor sign-in (TOTP + recovery codes), black-box, every adapter, both strategies."""

from __future__ import annotations

import asyncio

import pytest

from authgate import SessionConfig, TwoFactor
from authgate.adapters.memory import MemoryAdapter
from blackbox.conftest import (
    NOW,
    SESSION,
    Client,
    body_json,
    decode_session,
    make_gate,
    query_of,
)

from .conftest import EMAIL, Setup, answer, code_at, enrol, sign_in, signed_up

pytestmark = pytest.mark.anyio

PENDING = "next-auth.two-factor"
STEP = 30


async def methods(setup: Setup, client: Client) -> list[str] | None:
    from authgate import AuthRequest

    cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
    request = AuthRequest.build(
        method="GET", path="/", headers=[("cookie", cookie), ("host", "localhost:3000")]
    )
    return await setup.gate.get_sign_in_methods(request, now=client.now)


async def test_enrolled_user_needs_the_code(setup: Setup) -> None:
    owner = await signed_up(setup)
    assert await methods(setup, owner) == ["pwd"]
    secret, codes = await enrol(owner)
    assert await methods(setup, owner) == ["pwd", "otp"], "enrolment proved the factor"

    client = setup.client(now=NOW + STEP)
    first = await sign_in(client)
    assert first.status == 302
    assert first.redirect == "http://localhost:3000/api/auth/two-factor"
    assert SESSION not in client.jar, "no session before the second factor"
    assert PENDING in client.jar
    page = await client.get("/two-factor")
    assert page.status == 200
    assert b'autocomplete="one-time-code"' in page.body

    wrong = await answer(client, code="000000" if code_at(secret, NOW + STEP) != "000000" else "1")
    assert wrong.status == 400
    assert b"That code is not right." in wrong.body
    assert SESSION not in client.jar

    right = await answer(client, code=code_at(secret, NOW + STEP))
    assert right.status == 302
    assert right.redirect == "http://localhost:3000"
    assert SESSION in client.jar
    assert PENDING not in client.jar
    assert await methods(setup, client) == ["pwd", "otp"]
    if setup.strategy == "jwt":
        assert decode_session(right)["amr"] == ["pwd", "otp"]
    assert codes


async def test_a_code_is_never_accepted_twice(setup: Setup) -> None:
    owner = await signed_up(setup)
    secret, _ = await enrol(owner)
    moment = NOW + 2 * STEP
    first = setup.client(now=moment)
    await sign_in(first)
    assert (await answer(first, code=code_at(secret, moment))).status == 302
    second = setup.client(now=moment)
    await sign_in(second)
    replay = await answer(second, code=code_at(secret, moment))
    assert replay.status == 400, "the same step is refused"
    later = await answer(second, code=code_at(secret, moment + STEP), now=moment + STEP)
    assert later.status == 302


async def test_two_requests_with_one_code_sign_in_once(setup: Setup) -> None:
    owner = await signed_up(setup)
    secret, _ = await enrol(owner)
    moment = NOW + STEP
    clients = [setup.client(now=moment), setup.client(now=moment)]
    for client in clients:
        await sign_in(client)
    answers = await asyncio.gather(*(answer(c, code=code_at(secret, moment)) for c in clients))
    assert sorted(a.status for a in answers) == [302, 400], "one code, one session"
    assert sum(SESSION in c.jar for c in clients) == 1


async def test_two_answers_on_one_pending_sign_in_at_once_use_one_code(setup: Setup) -> None:
    """A double submit with two recovery codes: one signs in, the other is ``Verification`` and
    its code stays unused (the code, the pending sign-in and the session are one transaction).
    """
    owner = await signed_up(setup)
    _, codes = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)
    first = setup.client(now=NOW + STEP)
    await sign_in(first)
    twin = setup.client(now=NOW + STEP)
    twin.jar.update(first.jar)
    answers = await asyncio.gather(
        answer(first, recoveryCode=codes[0]), answer(twin, recoveryCode=codes[1])
    )
    errors = [query_of(a.redirect or "").get("error") for a in answers]
    assert sorted(map(str, errors)) == ["None", "['Verification']"], answers
    assert sum(SESSION in c.jar for c in (first, twin)) == 1
    assert await setup.adapter.count_recovery_codes(user["id"]) == 9, "one code used, not two"


async def test_recovery_code_works_once(setup: Setup) -> None:
    owner = await signed_up(setup)
    _, codes = await enrol(owner)
    client = setup.client(now=NOW + STEP)
    await sign_in(client)
    used = await answer(client, recoveryCode=codes[0].upper().replace("-", " "))
    assert used.status == 302
    assert SESSION in client.jar
    again = setup.client(now=NOW + STEP)
    await sign_in(again)
    assert (await answer(again, recoveryCode=codes[0])).status == 400
    settings = await owner.get("/two-factor-setup")
    assert b"Recovery codes left: 9." in settings.body


async def test_pending_sign_in_is_single_use_and_expires(setup: Setup) -> None:
    owner = await signed_up(setup)
    secret, codes = await enrol(owner)
    client = setup.client(now=NOW + STEP)
    await sign_in(client)
    stolen = dict(client.jar)
    assert (await answer(client, recoveryCode=codes[1])).status == 302
    thief = setup.client(now=NOW + 2 * STEP)
    thief.jar.update(stolen)
    replay = await answer(thief, code=code_at(secret, NOW + 2 * STEP))
    assert query_of(replay.redirect or "")["error"] == ["Verification"]
    assert SESSION not in thief.jar

    late = setup.client(now=NOW + 3 * STEP)
    await sign_in(late)
    expired = await answer(late, code=code_at(secret, NOW + 400), now=NOW + 400)
    assert expired.status == 302
    assert query_of(expired.redirect or "")["error"] == ["SessionRequired"]
    assert SESSION not in late.jar


async def test_json_mode_says_two_factor(setup: Setup) -> None:
    owner = await signed_up(setup)
    await enrol(owner)
    client = setup.client(now=NOW + STEP)
    response = await sign_in(client, json="true")
    assert response.status == 200
    assert body_json(response) == {
        "url": "http://localhost:3000/api/auth/two-factor",
        "twoFactor": True,
    }
    wrong = await answer(client, code="12345x", json="true")
    assert wrong.status == 400
    assert body_json(wrong) == {"error": "InvalidCode"}


async def test_regenerate_and_disable_need_a_fresh_code(setup: Setup) -> None:
    owner = await signed_up(setup)
    secret, old = await enrol(owner)
    token = await owner.csrf()
    refused = await owner.post(
        "/two-factor-setup", form={"csrfToken": token, "op": "regenerate", "code": "000000"}
    )
    assert refused.status == 400
    later = NOW + STEP
    fresh = await owner.post(
        "/two-factor-setup",
        form={"csrfToken": token, "op": "regenerate", "code": code_at(secret, later)},
        now=later,
    )
    assert fresh.status == 200
    assert b"Save your recovery codes" in fresh.body
    client = setup.client(now=later)
    await sign_in(client)
    assert (await answer(client, recoveryCode=old[0])).status == 400, "old codes are gone"

    off = await owner.post(
        "/two-factor-setup",
        form={"csrfToken": token, "op": "disable", "code": code_at(secret, later + STEP)},
        now=later + STEP,
    )
    assert off.status == 302
    plain = setup.client(now=later + STEP)
    assert (await sign_in(plain)).redirect == "http://localhost:3000"
    assert SESSION in plain.jar


async def test_step_up_adds_the_factor_to_the_session(setup: Setup) -> None:
    owner = await signed_up(setup)
    elsewhere = setup.client()
    await sign_in(elsewhere)  # a second device, signed in before the factor existed
    secret, _ = await enrol(owner)
    assert await methods(setup, elsewhere) == ["pwd"]
    page = await elsewhere.get("/two-factor")
    assert page.status == 200, "a signed-in user is asked for the factor, not signed out"
    later = NOW + STEP
    token = await elsewhere.csrf()
    stepped = await elsewhere.post(
        "/two-factor",
        form={"csrfToken": token, "code": code_at(secret, later), "callbackUrl": "/admin"},
        now=later,
    )
    assert stepped.status == 302
    assert stepped.redirect == "http://localhost:3000/admin"
    assert await methods(setup, elsewhere) == ["pwd", "otp"]


async def test_step_up_without_a_factor_goes_to_enrolment(setup: Setup) -> None:
    owner = await signed_up(setup)
    response = await owner.get("/two-factor")
    assert response.redirect == "http://localhost:3000/api/auth/two-factor-setup"


async def test_enrolment_needs_a_valid_code_and_a_session(setup: Setup) -> None:
    anonymous = setup.client()
    page = await anonymous.get("/two-factor-setup")
    assert "error=SessionRequired" in (page.redirect or "")
    owner = await signed_up(setup)
    await owner.get("/two-factor-setup")
    token = await owner.csrf()
    wrong = await owner.post(
        "/two-factor-setup", form={"csrfToken": token, "op": "enable", "code": "000000"}
    )
    assert wrong.status == 400
    user = await setup.adapter.get_user_by_email(EMAIL)
    assert await setup.adapter.get_two_factor(user["id"]) is None


async def test_secret_is_encrypted_at_rest(setup: Setup) -> None:
    owner = await signed_up(setup)
    secret, _ = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)
    record = await setup.adapter.get_two_factor(user["id"])
    assert secret not in record["secret"]
    assert record["secret"].count(".") == 4, "a sealed value, not the base32 secret"


async def test_credentials_users_with_jwt_sessions() -> None:
    from blackbox.conftest import check_password, credentials_provider

    adapter = MemoryAdapter()
    gate = make_gate(
        providers=[credentials_provider(check_password)],
        adapter=adapter,
        session=SessionConfig(strategy="jwt"),
        two_factor=TwoFactor(),
    )
    owner = Client(gate)
    await owner.sign_in()
    secret, _ = await enrol(owner)
    assert await adapter.get_two_factor("credentials:1") is not None, "namespaced authorize id"
    client = Client(gate, now=NOW + STEP)
    response = await client.sign_in()
    assert response.redirect == "http://localhost:3000/api/auth/two-factor"
    done = await answer(client, code=code_at(secret, NOW + STEP))
    assert done.status == 302
    assert decode_session(done)["amr"] == ["pwd", "otp"]
    assert decode_session(done)["sub"] == "1"
