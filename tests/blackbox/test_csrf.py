"""The double-submit CSRF check on the credentials callback (SECURITY.md, decision 1)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from authgate._crypto.keys import hkdf_sha256

from .conftest import (
    CSRF,
    PASSWORD,
    SECRET,
    SESSION,
    URL,
    Client,
    body_json,
    make_gate,
    set_cookies,
)

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


def v4_style_cookie(token: str) -> str:
    return f"{token}|{hashlib.sha256((token + SECRET).encode()).hexdigest()}"


async def test_the_cookie_hash_is_an_hmac_under_the_csrf_key_not_v4s_sha256() -> None:
    client = Client(make_gate())
    token = await client.csrf()
    key = hkdf_sha256(
        SECRET, salt="authgate purpose keys", info="authgate csrf-token key", length=32
    )
    assert (
        client.jar[CSRF] == f"{token}|{hmac.new(key, token.encode(), hashlib.sha256).hexdigest()}"
    )
    assert client.jar[CSRF] != v4_style_cookie(token)


async def test_a_cookie_hashed_the_v4_way_is_no_token() -> None:
    # sha256(x + secret) is also what v4 stores for e-mail tokens: one key per purpose now.
    client = Client(make_gate())
    token = "a" * 64
    client.jar[CSRF] = v4_style_cookie(token)
    response = await client.post(
        "/callback/credentials", form={"csrfToken": token, "username": "ada", "password": PASSWORD}
    )
    assert response.redirect == CSRF_TRUE
    assert SESSION not in set_cookies(response)
    assert client.jar[CSRF].split("|")[0] != token  # replaced by a fresh one


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
