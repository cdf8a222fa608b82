"""Database sessions: a reset or change writes the password and ends the other sessions together.

On a real PostgreSQL, the adapter a :class:`SQLAlchemyAdapter` whose ``delete_user_sessions``
raises while ``broken`` is set (the database failing at that very statement). The new password
must then not be stored: a new password beside old sessions that stayed valid is the case a
reset exists to prevent (SECURITY.md, decision 22).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from blackbox.conftest import body_json, query_of

from .conftest import EMAIL, STRONG, Setup, closing_setup, sign_in, signed_up

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from _support.postgres_server import PostgresServer
    from blackbox.conftest import Client

pytestmark = pytest.mark.anyio

NEW = "another long passphrase, 2nd"


class DeleteFails(SQLAlchemyAdapter):
    """Deleting a user's sessions fails while ``broken`` is true (shared with transactions)."""

    broken = False

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        if DeleteFails.broken:
            raise ConnectionError("the database went away")
        return await super().delete_user_sessions(user_id, keep=keep)


@pytest.fixture
async def setup(postgres: PostgresServer) -> AsyncIterator[Setup]:
    adapter = DeleteFails(postgres.url, create=True, table_prefix=f"t{uuid.uuid4().hex[:10]}_")
    try:
        async with closing_setup(adapter, "database") as made:
            yield made
    finally:
        DeleteFails.broken = False


async def signed_in(client: Client) -> bool:
    return bool(body_json(await client.get("/session")))


def failed(response: Any) -> None:
    assert response.status == 503, response.body
    assert query_of(body_json(response)["url"])["error"] == ["Callback"]


async def test_a_reset_that_cannot_end_the_sessions_changes_nothing(setup: Setup) -> None:
    owner = await signed_up(setup)
    other = setup.client()
    assert (await sign_in(other)).status == 302
    token = await owner.csrf()
    await owner.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    link = setup.mailbox.link_params("reset-password")
    form = {"csrfToken": token, **link, "password": NEW}

    DeleteFails.broken = True
    failed(await owner.post("/reset-password", form={**form, "json": "true"}))
    DeleteFails.broken = False
    assert await signed_in(other), "the sessions were not ended..."
    assert query_of((await sign_in(setup.client(), password=NEW)).redirect or "")["error"] == [
        "CredentialsSignin"
    ], "...so the new password was not stored either"
    assert (await sign_in(setup.client())).status == 302, "the old one still works"

    done = await owner.post("/reset-password", form=form)
    assert "done=1" in (done.redirect or ""), "the link survived"
    assert not await signed_in(other)
    assert not await signed_in(owner), "a reset ends every session"
    assert (await sign_in(setup.client(), password=NEW)).status == 302


async def test_a_change_that_cannot_end_the_sessions_changes_nothing(setup: Setup) -> None:
    owner = await signed_up(setup)
    other = setup.client()
    assert (await sign_in(other)).status == 302
    token = await owner.csrf()
    form = {"csrfToken": token, "currentPassword": STRONG, "newPassword": NEW}

    DeleteFails.broken = True
    failed(await owner.post("/change-password", form={**form, "json": "true"}))
    DeleteFails.broken = False
    assert await signed_in(other)
    assert (await sign_in(setup.client())).status == 302, "the old password is still the one"

    done = await owner.post("/change-password", form=form)
    assert "done=1" in (done.redirect or "")
    assert not await signed_in(other)
    assert await signed_in(owner), "the changer stays signed in"
    assert (await sign_in(setup.client(), password=NEW)).status == 302
