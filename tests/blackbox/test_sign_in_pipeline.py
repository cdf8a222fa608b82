"""The sign-in pipeline's seam: policy steps between "user verified" and "session issued".

Every provider type reaches the steps with a :class:`Verified`; a step that answers ends the
sign-in without a session (the user and account it stored stay), and :func:`issue` finishes a
deferred sign-in later (what two-factor does after its second factor).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from authgate import Events
from authgate._core.sign_in_flow import Verified, issue
from authgate.adapters.memory import MemoryAdapter
from authgate.http import AuthResponse

from .conftest import ORIGIN, SESSION, Client, decode_session, make_gate
from .test_adapter_failures import Broken, error_of
from .test_database_sessions import db_gate
from .test_email import Outbox, email_gate, follow, request_link

if TYPE_CHECKING:
    from authgate import AuthGate
    from authgate._core.context import RequestContext

pytestmark = pytest.mark.anyio

SECOND_FACTOR = f"{ORIGIN}/second-factor"


class Recorder:
    """A policy step that remembers what it saw and answers with ``answer`` (or continues)."""

    def __init__(self, answer: str | None = None, *, fail: bool = False) -> None:
        self.answer = answer
        self.fail = fail
        self.seen: list[tuple[RequestContext, Verified]] = []

    async def __call__(self, ctx: RequestContext, verified: Verified) -> AuthResponse | None:
        self.seen.append((ctx, dataclasses.replace(verified)))
        if self.fail:
            raise RuntimeError("a step failed")
        return None if self.answer is None else AuthResponse.to(self.answer)


def with_steps(gate: AuthGate, *steps: Any) -> AuthGate:
    gate._options = dataclasses.replace(gate._options, sign_in_steps=steps)
    return gate


def events_log() -> tuple[Events, list[str]]:
    fired: list[str] = []
    events = Events(
        sign_in=lambda user: fired.append("sign_in"),
        create_user=lambda user: fired.append("create_user"),
        link_account=lambda user: fired.append("link_account"),
    )
    return events, fired


async def test_jwt_credentials_reach_the_steps_unstored() -> None:
    step = Recorder()
    client = Client(with_steps(make_gate(), step))
    response = await client.sign_in()
    assert decode_session(response)["sub"] == "1"
    [(_, verified)] = step.seen
    assert (verified.stored, verified.is_new_user, verified.store) == (False, None, None)
    assert verified.user["id"] == "1"
    assert verified.first.kind == "credentials"


async def test_a_step_that_answers_ends_without_a_session() -> None:
    events, fired = events_log()
    step = Recorder(SECOND_FACTOR)
    client = Client(with_steps(make_gate(events=events), step))
    response = await client.sign_in()
    assert response.redirect == SECOND_FACTOR
    assert SESSION not in client.jar
    assert fired == []


async def test_database_sign_in_deferred_keeps_the_user_then_issue_finishes_it() -> None:
    adapter = MemoryAdapter()
    events, fired = events_log()
    step = Recorder(SECOND_FACTOR)
    client = Client(with_steps(db_gate(adapter, events=events), step))
    response = await client.sign_in()
    assert response.redirect == SECOND_FACTOR
    assert SESSION not in client.jar
    tables = adapter.dump()
    assert len(tables["users"]) == 1, "the user and account are committed"
    assert len(tables["accounts"]) == 1
    assert tables["sessions"] == [], "but no session"
    assert fired == ["create_user", "link_account"]

    [(ctx, verified)] = step.seen
    assert verified.stored
    assert verified.is_new_user is True
    assert verified.store is not None, "the step may read and write in the transaction"
    finished = await issue(ctx, dataclasses.replace(verified, store=None))
    assert finished.redirect == ORIGIN
    [session] = adapter.dump()["sessions"]
    assert {c.name: c.value for c in finished.cookies}[SESSION] == session["sessionToken"]
    assert fired == ["create_user", "link_account", "sign_in"]


async def test_steps_run_in_order_until_one_answers() -> None:
    first, second, third = Recorder(), Recorder(SECOND_FACTOR), Recorder()
    client = Client(with_steps(make_gate(), first, second, third))
    response = await client.sign_in()
    assert response.redirect == SECOND_FACTOR
    assert (len(first.seen), len(second.seen), len(third.seen)) == (1, 1, 0)


async def test_a_failing_step_is_callback_and_stores_nothing() -> None:
    adapter = MemoryAdapter()
    client = Client(with_steps(db_gate(adapter), Recorder(fail=True)))
    response = await client.sign_in()
    assert error_of(response) == "Callback"
    assert SESSION not in client.jar
    assert adapter.dump()["users"] == [], "the transaction was rolled back"


async def test_the_email_link_goes_through_the_steps() -> None:
    adapter, outbox, step = MemoryAdapter(), Outbox(), Recorder(SECOND_FACTOR)
    client = Client(with_steps(email_gate(adapter, outbox), step))
    await request_link(client)
    response = await follow(client, outbox)
    assert response.redirect == SECOND_FACTOR
    [(_, verified)] = step.seen
    assert verified.first.kind == "email"
    assert verified.user["email"] == "ada@example.com"
    assert verified.user["emailVerified"] is not None
    assert SESSION not in client.jar


async def test_a_session_write_failure_after_the_steps_rolls_everything_back() -> None:
    adapter = Broken("create_session")
    step = Recorder()
    client = Client(with_steps(db_gate(adapter), step))
    response = await client.sign_in()
    assert error_of(response) == "Callback"
    assert len(step.seen) == 1
    assert adapter.dump()["users"] == []
