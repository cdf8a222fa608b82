"""No account enumeration: known and unknown addresses get byte-for-byte the same answers.

Sign-up with a taken address, a reset for an unknown address and a sign-in with an unknown
user are compared with the success path: status, the headers that matter (Location,
Content-Type, Set-Cookie names and attributes) and the body. CSRF tokens are per browser, so
each side uses its own fresh client; what differs between them is only the address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from .conftest import EMAIL, STRONG, Setup, sign_in, sign_up, signed_up

if TYPE_CHECKING:
    from blackbox.conftest import Client

pytestmark = pytest.mark.anyio

UNKNOWN = "nobody-here@example.com"


def shape(response: Any) -> tuple[Any, ...]:
    """Everything an attacker sees, minus values that are random per browser (cookie values)."""
    cookies = sorted(
        (c.name, c.path, c.max_age, c.http_only, c.secure, c.same_site, c.expires)
        for c in response.cookies
        if c.name != "next-auth.csrf-token"
    )
    headers = sorted((k, v) for k, v in response.headers if k.lower() != "set-cookie")
    return response.status, response.redirect, headers, cookies, response.body


async def fresh(setup: Setup) -> Client:
    client = setup.client()
    await client.csrf()
    return client


@pytest.mark.parametrize("json_mode", [False, True])
async def test_sign_up_with_a_taken_address_answers_like_a_new_one(
    setup: Setup, json_mode: bool
) -> None:
    await signed_up(setup)
    extra = {"json": "true"} if json_mode else {}
    taken = await sign_up(await fresh(setup), EMAIL, **extra)
    new = await sign_up(await fresh(setup), "someone-new@example.com", **extra)
    assert shape(taken) == shape(new)
    assert setup.mailbox.last("account-exists").to == EMAIL, "the owner is told instead"


@pytest.mark.parametrize("json_mode", [False, True])
async def test_reset_for_an_unknown_address_answers_like_a_known_one(
    setup: Setup, json_mode: bool
) -> None:
    await signed_up(setup)
    extra = {"json": "true"} if json_mode else {}
    answers = []
    for address in (EMAIL, UNKNOWN):
        client = await fresh(setup)
        token = client.jar["next-auth.csrf-token"].split("|")[0]
        form = {"csrfToken": token, "email": address, **extra}
        answers.append(await client.post("/forgot-password", form=form))
    assert shape(answers[0]) == shape(answers[1])
    assert setup.mailbox.last("reset-password").to == EMAIL
    assert setup.mailbox.last("no-account").to == UNKNOWN


@pytest.mark.parametrize("json_mode", [False, True])
async def test_sign_in_unknown_user_answers_like_a_wrong_password(
    setup: Setup, json_mode: bool
) -> None:
    await signed_up(setup)
    extra = {"json": "true"} if json_mode else {}
    wrong = await sign_in(await fresh(setup), EMAIL, "not the right one at all", **extra)
    unknown = await sign_in(await fresh(setup), UNKNOWN, STRONG, **extra)
    assert shape(wrong) == shape(unknown)
    assert wrong.status in (302, 401)
