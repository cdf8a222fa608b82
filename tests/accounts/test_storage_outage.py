"""The account routes on a real PostgreSQL that is stopped mid-run and started again.

Every route that needs the database answers the outage as the passkey routes and the sign-out
do: ``/error?error=Callback``, ``503`` in JSON mode, logged, no session and nothing
half-written; once the server is back the same requests work, without restarting the app.
A recovery code answered as the server goes down is not used up.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import pytest

from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from blackbox import test_database_outage
from blackbox.conftest import NOW, SESSION, body_json, query_of
from blackbox.test_database_outage import DownAtTheSession

from .conftest import (
    EMAIL,
    STRONG,
    Setup,
    answer,
    closing_setup,
    code_at,
    enrol,
    sign_in,
    sign_up,
    signed_up,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from _support.postgres_server import PostgresServer

pytestmark = pytest.mark.anyio

PENDING = "next-auth.two-factor"

# The real PostgreSQL of the module, and the same server running again after each test.
server, pg = test_database_outage.server, test_database_outage.pg


@pytest.fixture
async def setup(pg: PostgresServer) -> AsyncIterator[Setup]:
    adapter = SQLAlchemyAdapter(pg.url, create=True, table_prefix=f"t{secrets.token_hex(4)}_")
    async with closing_setup(adapter, "jwt") as made:
        yield made


def unavailable(response: Any) -> None:
    """``503 {"url": .../error?error=Callback}``, no session cookie."""
    assert response.status == 503, response.body
    assert query_of(body_json(response)["url"])["error"] == ["Callback"]
    assert not [c for c in response.cookies if c.name == SESSION and c.max_age != 0]


async def test_every_account_route_answers_an_outage_with_503(
    pg: PostgresServer, setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await signed_up(setup)
    secret, codes = await enrol(owner)
    moment = NOW + 30
    client = setup.client(now=moment)
    assert (await sign_in(client)).redirect == "http://localhost:3000/api/auth/two-factor"
    token = await owner.csrf()
    users_before = await setup.adapter.get_user_by_email(EMAIL)

    pg.halt()
    with caplog.at_level(logging.ERROR, logger="authgate"):
        unavailable(await answer(client, code=code_at(secret, moment), json="true"))
        assert SESSION not in client.jar
        assert PENDING in client.jar, "the pending sign-in is kept for a retry"
        step_up = await owner.get("/two-factor")
        assert query_of(step_up.redirect or "")["error"] == ["Callback"]
        settings = await owner.get("/two-factor-setup")
        assert query_of(settings.redirect or "")["error"] == ["Callback"]
        regenerate = {"csrfToken": token, "op": "regenerate", "recoveryCode": codes[0]}
        unavailable(await owner.post("/two-factor-setup", form={**regenerate, "json": "true"}))
        change = {"csrfToken": token, "currentPassword": STRONG, "newPassword": STRONG + "!"}
        # The user behind the session cannot be read: an outage, not "signed out".
        unavailable(await owner.post("/change-password", form={**change, "json": "true"}))
        page = await owner.get("/change-password")
        assert query_of(page.redirect or "")["error"] == ["Callback"]
        forgot = {"csrfToken": token, "email": EMAIL, "json": "true"}
        unavailable(await owner.post("/forgot-password", form=forgot))
        unavailable(await sign_up(setup.client(), "new@example.com", json="true"))
        unavailable(await sign_in(setup.client(), json="true"))
    logged = caplog.text
    for label in (
        "TWO_FACTOR_ERROR",
        "CHANGE_PASSWORD_ERROR",
        "FORGOT_PASSWORD_ERROR",
        "SIGNUP_ERROR",
        "CALLBACK_CREDENTIALS_ERROR",
    ):
        assert f"{label}: the adapter failed" in logged, label

    pg.resume()
    assert await setup.adapter.get_user_by_email("new@example.com") is None, "nothing written"
    assert await setup.adapter.get_user_by_email(EMAIL) == users_before
    done = await answer(client, code=code_at(secret, moment))
    assert done.redirect == "http://localhost:3000", "the same code works once it is back"
    assert SESSION in client.jar
    again = await owner.post("/two-factor-setup", form=regenerate)
    assert again.status == 200, "the recovery code was not used up by the outage"
    assert (await owner.post("/change-password", form=change)).status == 302


async def test_a_recovery_code_is_not_lost_when_the_database_goes_down_at_the_session(
    pg: PostgresServer,
) -> None:
    """The code, the pending sign-in and the session row are one transaction (database sessions):
    the server stops just before the row is written, so the code's use is rolled back too."""
    adapter = DownAtTheSession(pg.url, create=True, table_prefix=f"t{secrets.token_hex(4)}_")
    async with closing_setup(adapter, "database") as made:
        owner = await signed_up(made)
        _, codes = await enrol(owner)
        user = await adapter.get_user_by_email(EMAIL)
        assert user is not None
        client = made.client(now=NOW + 30)
        await sign_in(client)
        DownAtTheSession.server = pg
        try:
            unavailable(await answer(client, recoveryCode=codes[0], json="true"))
        finally:
            DownAtTheSession.server = None
        pg.resume()
        assert await adapter.count_recovery_codes(user["id"]) == 10, "not used up"
        done = await answer(client, recoveryCode=codes[0])
        assert done.redirect == "http://localhost:3000", "the same pending sign-in and code"
        assert SESSION in client.jar
        assert await adapter.count_recovery_codes(user["id"]) == 9
