"""The double-submit CSRF check on the credentials callback (spec §5, security decision 1)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import CSRF, PASSWORD, SESSION, URL, Client, body_json, make_gate, set_cookies

pytestmark = pytest.mark.anyio

CSRF_TRUE = f"{URL}/signin?csrf=true"


async def forged_cookie(client: Client) -> dict[str, Any]:
    token = await client.csrf()
    client.jar[CSRF] = f"{token}|{'0' * 64}"
    return {"csrfToken": token}


async def missing_token(client: Client) -> dict[str, Any]:
    await client.csrf()
    return {}


async def wrong_token(client: Client) -> dict[str, Any]:
    await client.csrf()
    return {"csrfToken": "f" * 64}


async def no_cookie(client: Client) -> dict[str, Any]:
    token = await client.csrf()
    client.jar.clear()
    return {"csrfToken": token}


async def token_as_list(client: Client) -> dict[str, Any]:
    return {"csrfToken": [await client.csrf()]}


CSRF_FAILURES = [missing_token, wrong_token, forged_cookie, no_cookie, token_as_list]


@pytest.mark.parametrize("setup", CSRF_FAILURES, ids=lambda f: f.__name__)
async def test_csrf_failure_redirects_to_signin_csrf_true(setup: Any) -> None:
    client = Client(make_gate())
    extra = await setup(client)
    body = {"username": "ada", "password": PASSWORD, **extra}
    response = await client.post("/callback/credentials", json_body=body)
    assert (response.status, response.redirect) == (302, CSRF_TRUE)
    assert SESSION not in set_cookies(response)
    json_mode = await client.post("/callback/credentials", json_body={**body, "json": "true"})
    assert (json_mode.status, body_json(json_mode)) == (200, {"url": CSRF_TRUE})
    assert SESSION not in set_cookies(json_mode)


async def test_a_duplicated_csrf_cookie_is_no_token() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    value = client.jar[CSRF].replace("|", "%7C")
    response = await client.post(
        "/callback/credentials",
        form={"csrfToken": token, "username": "ada", "password": PASSWORD},
        cookie_header=f"{CSRF}={value}; {CSRF}={value}",
    )
    assert response.redirect == CSRF_TRUE
    assert CSRF in set_cookies(response)  # a fresh token is minted
    assert SESSION not in set_cookies(response)
