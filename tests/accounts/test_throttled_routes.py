"""Every account route answers a throttled attempt the same way, and does nothing else.

One attempt per identifier is free (``Policy(free=1)``), the next at the same moment is
throttled: ``?error=TooManyRequests`` (JSON mode ``429`` with ``Retry-After``), before any
password is hashed or checked, any mail sent, any link used or any code tried. After the wait
the same request goes through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from authgate.ratelimit import Policy, RateLimit
from blackbox.conftest import NOW, SESSION, Client, body_json, query_of

from .conftest import (
    EMAIL,
    STRONG,
    Setup,
    answer,
    code_at,
    enrol,
    memory_setup,
    sign_in,
    sign_up,
)

if TYPE_CHECKING:
    from authgate import AuthResponse

pytestmark = pytest.mark.anyio

NEW = "another long passphrase, 2nd"
WAIT = 3600.0  # past every delay of the policy below
THROTTLED = "http://localhost:3000/api/auth/error?error=TooManyRequests"


def tight() -> Setup:
    """The second attempt per identifier at the same moment is throttled."""
    limit = RateLimit(
        per_identifier=Policy(free=1, max_attempts=10, base_delay=60.0, max_delay=60.0),
        per_ip=Policy(free=1000, max_attempts=1000),
    )
    return memory_setup({"rate_limit": limit})


def throttled(response: AuthResponse) -> bool:
    if response.status == 429:
        assert response.header("retry-after") is not None
        return bool(body_json(response) == {"url": THROTTLED})
    return response.status == 302 and response.redirect == THROTTLED


async def account(setup: Setup, at: float = NOW) -> Client:
    """A confirmed, signed-in account (sign-up and sign-in settle their own budgets)."""
    client = setup.client(now=at)
    await sign_up(client)
    params = setup.mailbox.link_params("verify-email")
    assert (await client.get("/verify-email", query=params)).status == 200
    assert (await sign_in(client)).status == 302
    return client


async def test_sign_up() -> None:
    setup = tight()
    first = setup.client()
    assert (await sign_up(first)).status == 302
    again = await sign_up(setup.client(), password=STRONG + "!", json="true")
    assert throttled(again)
    assert len(setup.mailbox.sent) == 1, "no second mail"
    assert len(setup.adapter.dump()["users"]) == 1
    other = await sign_up(setup.client(), "someone.else@example.com")
    assert other.status == 302, "another address has its own budget"
    later = await sign_up(setup.client(now=NOW + WAIT))
    assert later.status == 302, "after the wait (a taken address: the owner gets a mail)"
    assert len([m for m in setup.mailbox.sent if m.to == EMAIL]) == 2


async def test_unverified_sign_in_mails_no_more_links_when_throttled() -> None:
    setup = tight()
    client = setup.client()
    await sign_up(client)
    first = await sign_in(client)
    assert query_of(first.redirect or "")["error"] == ["EmailNotVerified"]
    links = len([m for m in setup.mailbox.sent if m.kind == "verify-email"])
    assert throttled(await sign_in(client))
    assert len([m for m in setup.mailbox.sent if m.kind == "verify-email"]) == links


async def test_forgot_password() -> None:
    setup = tight()
    await account(setup)
    client = setup.client(now=NOW + 1)
    token = await client.csrf()
    form = {"csrfToken": token, "email": EMAIL}
    assert (await client.post("/forgot-password", form=form)).status == 302
    assert throttled(await client.post("/forgot-password", form={**form, "json": "true"}))
    assert len([m for m in setup.mailbox.sent if m.kind == "reset-password"]) == 1
    unknown = await client.post("/forgot-password", form={**form, "email": "nobody@example.com"})
    assert unknown.status == 302
    again = await client.post("/forgot-password", form={**form, "email": "nobody@example.com"})
    assert throttled(again), "an unknown address is throttled alike (no enumeration)"


async def test_reset_password() -> None:
    setup = tight()
    await account(setup)
    client = setup.client(now=NOW + WAIT)
    token = await client.csrf()
    await client.post("/forgot-password", form={"csrfToken": token, "email": EMAIL})
    params = setup.mailbox.link_params("reset-password")
    form = {"csrfToken": token, **params, "password": NEW}
    refused = await client.post("/reset-password", form=form)
    assert throttled(refused), "the forgot request used the address's free attempt"
    assert (await sign_in(setup.client(now=NOW + WAIT))).status == 302, "password unchanged"
    later = NOW + WAIT + 120  # the wait is over, the link (an hour) still valid
    done = await client.post("/reset-password", form=form, now=later)
    assert done.redirect == "http://localhost:3000/api/auth/reset-password?done=1&provider=password"
    assert (await sign_in(setup.client(now=later), password=NEW)).status == 302


async def test_change_password() -> None:
    setup = tight()
    owner = await account(setup)
    token = await owner.csrf()
    wrong = {"csrfToken": token, "currentPassword": "not it, not it", "newPassword": NEW}
    assert (await owner.post("/change-password", form=wrong)).status == 400
    right = {**wrong, "currentPassword": STRONG}
    assert throttled(await owner.post("/change-password", form={**right, "json": "true"}))
    assert (await sign_in(setup.client(now=NOW + 1))).status == 302, "password unchanged"
    done = await owner.post("/change-password", form=right, now=NOW + WAIT)
    assert (
        done.redirect == "http://localhost:3000/api/auth/change-password?done=1&provider=password"
    )


async def test_two_factor_step() -> None:
    setup = tight()
    owner = await account(setup)
    secret, codes = await enrol(owner)
    client = setup.client(now=NOW + 30)
    assert (await sign_in(client)).redirect == "http://localhost:3000/api/auth/two-factor"
    wrong = "000000" if code_at(secret, NOW + 30) != "000000" else "111111"
    assert (await answer(client, code=wrong)).status == 400
    right = await answer(client, code=code_at(secret, NOW + 30), json="true")
    assert throttled(right)
    assert SESSION not in client.jar
    assert throttled(await answer(client, recoveryCode=codes[0]))
    assert await setup.adapter.count_recovery_codes(await user_id(setup)) == 10, "not tried"
    later = await answer(client, code=code_at(secret, NOW + 150), now=NOW + 150)
    assert later.redirect == "http://localhost:3000", "after the wait (the pending cookie lives)"
    assert SESSION in client.jar


async def user_id(setup: Setup) -> str:
    user = await setup.adapter.get_user_by_email(EMAIL)
    return str(user["id"])
