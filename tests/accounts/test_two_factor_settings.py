"""Making new recovery codes and turning two-factor off: a fresh TOTP code or a recovery code.

A recovery code proves the owner as a TOTP code does (the phone may be the thing that was
lost): it is used up (``recovery_code_used``), a used or made-up one is refused with
``InvalidCode`` and nothing changes, and wrong answers are throttled like the sign-in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from authgate import Events
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.ratelimit import Policy, RateLimit
from blackbox.conftest import NOW, SESSION, body_json, query_of

from .conftest import EMAIL, Mailbox, Setup, answer, build, code_at, enrol, sign_in, signed_up

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from blackbox.conftest import Client

pytestmark = pytest.mark.anyio

STEP = 30
SETUP = "/two-factor-setup"


class Recorded:
    """The two-factor events the gate fired, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any]]] = []

    def events(self) -> Events:
        def record(name: str) -> Any:
            async def hook(**kw: Any) -> None:
                self.seen.append((name, kw))

            return hook

        return Events(
            two_factor_disabled=record("two_factor_disabled"),
            recovery_code_used=record("recovery_code_used"),
        )

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kw for seen, kw in self.seen if seen == name]


@pytest.fixture(params=["jwt", "database"])
async def recorded(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Setup, Recorded]]:
    adapter, mailbox, recorder = SQLAlchemyAdapter(tmp_path / "auth.db"), Mailbox(), Recorded()
    gate = build(
        adapter,
        request.param,
        mailbox,
        events=recorder.events(),
        rate_limit=RateLimit(per_identifier=Policy(free=3, max_attempts=10)),
    )
    try:
        yield Setup(gate, adapter, mailbox, request.param), recorder
    finally:
        await adapter.close()


async def post(client: Client, op: str, **fields: str) -> Any:
    token = await client.csrf()
    return await client.post(SETUP, form={"csrfToken": token, "op": op, **fields})


async def test_a_recovery_code_makes_new_codes_once(recorded: tuple[Setup, Recorded]) -> None:
    setup, recorder = recorded
    owner = await signed_up(setup)
    secret, old = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)

    fresh = await post(owner, "regenerate", recoveryCode=old[0].upper())
    assert fresh.status == 200
    assert b"Save your recovery codes" in fresh.body
    assert recorder.named("recovery_code_used") == [{"user_id": user["id"], "remaining": 9}]
    new = [c for c in old if c.encode() in fresh.body]
    assert new == [], "every old code is replaced"

    replayed = await post(owner, "regenerate", recoveryCode=old[0])
    assert replayed.status == 400
    assert b"That code is not right." in replayed.body
    assert len(recorder.named("recovery_code_used")) == 1, "a used code proves nothing"

    client = setup.client(now=NOW + STEP)
    await sign_in(client)
    assert (await answer(client, recoveryCode=old[1])).status == 400, "the old set is gone"
    assert (await answer(client, code=code_at(secret, NOW + STEP))).status == 302


async def test_a_recovery_code_turns_two_factor_off(recorded: tuple[Setup, Recorded]) -> None:
    setup, recorder = recorded
    owner = await signed_up(setup)
    _, codes = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)

    made_up = await post(owner, "disable", recoveryCode="aaaaa-aaaaa", json="true")
    assert made_up.status == 400
    assert body_json(made_up) == {"error": "InvalidCode"}
    assert await setup.adapter.get_two_factor(user["id"]) is not None

    off = await post(owner, "disable", recoveryCode=codes[3].replace("-", " "), json="true")
    assert off.status == 200
    assert body_json(off) == {"url": "http://localhost:3000/api/auth/two-factor-setup"}
    assert await setup.adapter.get_two_factor(user["id"]) is None
    assert recorder.named("recovery_code_used") == [{"user_id": user["id"], "remaining": 9}]
    assert recorder.named("two_factor_disabled") == [{"user_id": user["id"]}]

    plain = setup.client(now=NOW + STEP)
    assert (await sign_in(plain)).redirect == "http://localhost:3000", "no second step now"
    assert SESSION in plain.jar


async def test_a_replayed_totp_code_is_refused(recorded: tuple[Setup, Recorded]) -> None:
    setup, _ = recorded
    owner = await signed_up(setup)
    secret, _ = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)
    enrolled_with = code_at(secret, NOW)  # enrolment used this time step
    replay = await post(owner, "disable", code=enrolled_with)
    assert replay.status == 400
    assert b"That code is not right." in replay.body
    assert await setup.adapter.get_two_factor(user["id"]) is not None


async def test_wrong_answers_are_throttled(recorded: tuple[Setup, Recorded]) -> None:
    setup, recorder = recorded
    owner = await signed_up(setup)
    secret, codes = await enrol(owner)
    user = await setup.adapter.get_user_by_email(EMAIL)
    for guess in ("aaaaa-aaaab", "aaaaa-aaaac", "aaaaa-aaaad"):
        assert (await post(owner, "disable", recoveryCode=guess)).status == 400
    throttled = await post(owner, "disable", recoveryCode=codes[0], json="true")
    assert throttled.status == 429
    assert throttled.header("retry-after") is not None
    assert body_json(throttled) == {
        "url": "http://localhost:3000/api/auth/error?error=TooManyRequests"
    }
    page = await post(owner, "regenerate", code=code_at(secret, NOW + STEP))
    assert query_of(page.redirect or "")["error"] == ["TooManyRequests"]
    assert recorder.named("recovery_code_used") == [], "a throttled answer is never tried"
    assert await setup.adapter.get_two_factor(user["id"]) is not None

    later = NOW + 10 * STEP
    off = await owner.post(
        SETUP,
        form={"csrfToken": await owner.csrf(), "op": "disable", "recoveryCode": codes[0]},
        now=later,
    )
    assert off.redirect == "http://localhost:3000/api/auth/two-factor-setup", "after the wait"
    assert await setup.adapter.get_two_factor(user["id"]) is None


async def test_the_settings_page_offers_both(recorded: tuple[Setup, Recorded]) -> None:
    setup, _ = recorded
    owner = await signed_up(setup)
    await enrol(owner)
    page = await owner.get(SETUP)
    assert page.status == 200
    for form in ("regenerate", "disable"):
        assert f'id="input-code-{form}"'.encode() in page.body
        assert f'id="input-recoveryCode-{form}"'.encode() in page.body
    assert b" required" not in page.body.split(b"<form", 1)[1], "either field may be empty"
