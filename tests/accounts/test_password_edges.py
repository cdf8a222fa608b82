"""Password routes at their edges: the pages around the forms, and users who came another way.

MemoryAdapter, JWT sessions: what the visitor sees on the "sent" and "done" pages, a sign-up
that signs in at once, a reset that gives a password to a user who signed up without one, a
confirmation link used after the address was confirmed, and links that cannot be tokens.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from blackbox.conftest import NOW, SESSION, body_json, query_of

from .conftest import (
    EMAIL,
    STRONG,
    Mailbox,
    Setup,
    build,
    memory_setup,
    sign_in,
    sign_up,
    verify,
)

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

NEW = "another long passphrase, 2nd"


async def test_the_pages_around_the_forms() -> None:
    setup = memory_setup()
    client = setup.client()
    form = await client.get("/forgot-password")
    assert form.status == 200
    assert b'name="email"' in form.body
    sent = await client.get("/forgot-password", query={"sent": "1"})
    assert b"If the address has an account, a link to choose a new password" in sent.body
    done = await client.get("/reset-password", query={"done": "1"})
    assert b"Password changed" in done.body
    assert b"Your password is changed and your other sessions have ended." in done.body
    checking = await client.get("/signup", query={"sent": "1"})
    assert b"We sent a link to confirm your address." in checking.body


@pytest.mark.parametrize("route", ["/signup", "/forgot-password"])
async def test_a_provider_that_is_not_a_password_provider_is_refused(route: str) -> None:
    setup = memory_setup()
    client = setup.client()
    token = await client.csrf()
    form = {"csrfToken": token, "email": EMAIL, "password": STRONG, "provider": "credentials"}
    refused = await client.post(route, form=form)
    assert refused.status == 400
    assert b"is not supported by NextAuth.js" in refused.body
    assert setup.mailbox.sent == []
    assert setup.adapter.dump()["users"] == []


async def test_sign_up_can_sign_in_at_once() -> None:
    setup = memory_setup(sign_in_after_sign_up=True, require_verified_email=False)
    client = setup.client()
    response = await sign_up(client, json="true")
    assert response.status == 200
    assert body_json(response) == {"url": "http://localhost:3000"}
    assert SESSION in client.jar
    session = body_json(await client.get("/session"))
    assert session["user"]["email"] == EMAIL


async def test_a_reset_gives_a_password_to_a_user_who_had_none() -> None:
    setup = memory_setup()
    # Signed up another way (a magic link, OAuth): a user, no password account, not confirmed.
    user = await setup.adapter.create_user({"email": EMAIL, "emailVerified": None})
    client = setup.client()
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    done = await client.post(
        "/reset-password", form={"csrfToken": token, **params, "password": NEW}
    )
    assert done.redirect == "http://localhost:3000/api/auth/reset-password?done=1&provider=password"
    assert await setup.adapter.get_user_by_account("password", user["id"]) is not None
    stored = await setup.adapter.get_user(user["id"])
    assert stored["emailVerified"] == datetime.fromtimestamp(NOW, UTC), "the link proved it"
    assert (await sign_in(setup.client(), password=NEW)).status == 302


async def test_a_confirmation_link_after_the_address_was_confirmed() -> None:
    setup = memory_setup()
    client = setup.client()
    await sign_up(client)
    first = setup.mailbox.link_params("verify-email")
    await sign_in(client)  # not confirmed yet: a second link is mailed
    assert (await verify(setup, client)).status == 200  # the second link
    confirmed = (await setup.adapter.get_user_by_email(EMAIL))["emailVerified"]
    again = await client.get("/verify-email", query=first, now=NOW + 60)
    assert again.status == 200
    assert b"Address confirmed" in again.body
    after = (await setup.adapter.get_user_by_email(EMAIL))["emailVerified"]
    assert after == confirmed, "the first confirmation stands"


@pytest.mark.parametrize("token", ["", "x" * 2000])
async def test_a_link_whose_token_cannot_be_one_is_refused(token: str) -> None:
    setup = memory_setup()
    client = setup.client()
    await sign_up(client)
    response = await client.get("/verify-email", query={"email": EMAIL, "token": token})
    assert query_of(response.redirect or "")["error"] == ["Verification"]
    assert (await setup.adapter.get_user_by_email(EMAIL))["emailVerified"] is None


async def test_two_sign_ups_at_once_for_one_address_answer_alike(tmp_path: Path) -> None:
    adapter, mailbox = SQLAlchemyAdapter(tmp_path / "auth.db"), Mailbox()
    setup = Setup(build(adapter, "jwt", mailbox), adapter, mailbox, "jwt")
    try:
        answers = await asyncio.gather(*(sign_up(setup.client()) for _ in range(2)))
        assert [a.redirect for a in answers] == [
            "http://localhost:3000/api/auth/signup?sent=1&provider=password"
        ] * 2, "the same answer: nothing tells which one won"
        assert await adapter.get_user_by_email(EMAIL) is not None
        kinds = sorted(m.kind for m in mailbox.sent)
        assert kinds == ["account-exists", "verify-email"], "the loser's mail: the address is taken"
    finally:
        await adapter.close()


async def test_a_cross_site_post_cannot_change_or_reset_the_password() -> None:
    setup = memory_setup(require_verified_email=False)
    owner = setup.client()
    await sign_up(owner)
    assert (await sign_in(owner)).status == 302
    forged = {"currentPassword": STRONG, "newPassword": NEW}  # no csrfToken: another site's form
    change = await owner.post("/change-password", form=forged)
    assert change.redirect == "http://localhost:3000/api/auth/change-password?csrf=true"
    token = await owner.csrf()
    await owner.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    reset = await setup.client().post("/reset-password", form={**params, "password": NEW})
    assert reset.redirect == "http://localhost:3000/api/auth/reset-password?csrf=true"
    assert (await sign_in(setup.client())).status == 302, "the password is unchanged"
    assert query_of((await sign_in(setup.client(), password=NEW)).redirect or "")["error"] == [
        "CredentialsSignin"
    ]
