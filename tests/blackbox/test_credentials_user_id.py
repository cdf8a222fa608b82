"""Defect 1 of issue 9: a Credentials user without a usable ``id`` must never be stored.

With database sessions an ``authorize`` returning a user without ``id`` was stored as provider
account id ``"None"``, and every later id-less user signed in as the first one. Any value that
cannot name exactly one account (missing, ``None``, empty or blank, a boolean, a float, a
container, a lone surrogate, longer than the column) is refused with a Configuration-class log
line and ``CredentialsSignin``; nothing is stored or linked.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials

from .conftest import SESSION, URL, Client, body_json, decode_session, make_gate
from .test_adapter_failures import error_of
from .test_database_sessions import db_gate

pytestmark = pytest.mark.anyio

MISSING = object()
UNUSABLE: list[Any] = [
    MISSING,
    None,
    "",
    "   ",
    True,
    False,
    1.5,
    {"id": 1},
    [1],
    "\ud800",
    "x" * 256,
]
NAMES = [
    "missing",
    "None",
    "empty",
    "blank",
    "True",
    "False",
    "float",
    "dict",
    "list",
    "surrogate",
    "too-long",
]


def returning(user_id: Any, name: str = "Ada", email: str | None = None) -> Any:
    def authorize(credentials: Any, request: Any) -> dict[str, Any]:
        user: dict[str, Any] = {"name": credentials.get("username", name)}
        if email is not None:
            user["email"] = email
        if user_id is not MISSING:
            user["id"] = user_id
        return user

    return authorize


def db_gate_returning(adapter: MemoryAdapter, user_id: Any) -> Any:
    provider = Credentials(authorize=returning(user_id), database_session=True)
    return db_gate(adapter, providers=[provider])


@pytest.mark.parametrize("user_id", UNUSABLE, ids=NAMES)
async def test_database_sessions_refuse_a_user_without_a_usable_id(
    user_id: Any, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate_returning(adapter, user_id))
    with caplog.at_level(logging.ERROR, logger="authgate"):
        response = await client.sign_in(username="mallory")
    assert error_of(response) == "CredentialsSignin"
    assert response.redirect == f"{URL}/error?error=CredentialsSignin&provider=credentials"
    assert SESSION not in client.jar
    tables = adapter.dump()
    assert (tables["users"], tables["accounts"], tables["sessions"]) == ([], [], [])
    assert "(Configuration)" in caplog.text
    assert "usable id" in caplog.text


async def test_two_id_less_users_never_share_an_account() -> None:
    adapter = MemoryAdapter()
    gate = db_gate_returning(adapter, MISSING)
    first, second = Client(gate), Client(gate)
    await first.sign_in(username="alice")
    await second.sign_in(username="mallory")
    assert SESSION not in first.jar
    assert SESSION not in second.jar
    assert adapter.dump()["accounts"] == []


async def test_json_mode_answers_401_credentials_signin() -> None:
    client = Client(db_gate_returning(MemoryAdapter(), None))
    csrf = await client.csrf()
    response = await client.post(
        "/callback/credentials",
        form={"csrfToken": csrf, "username": "x", "password": "y", "json": "true"},
    )
    assert response.status == 401
    assert "error=CredentialsSignin" in body_json(response)["url"]


@pytest.mark.parametrize(("user_id", "key"), [(7, "7"), ("user-7", "user-7"), (" x ", " x ")])
async def test_usable_ids_are_stored_as_strings(user_id: Any, key: str) -> None:
    adapter = MemoryAdapter()
    client = Client(db_gate_returning(adapter, user_id))
    await client.sign_in()
    assert SESSION in client.jar
    [account] = adapter.dump()["accounts"]
    assert account["providerAccountId"] == key


@pytest.mark.parametrize("user_id", UNUSABLE[2:], ids=NAMES[2:])
async def test_jwt_sessions_refuse_an_id_that_is_present_but_unusable(user_id: Any) -> None:
    gate = make_gate(providers=[Credentials(authorize=returning(user_id))])
    client = Client(gate)
    response = await client.sign_in()
    assert error_of(response) == "CredentialsSignin"
    assert SESSION not in client.jar


@pytest.mark.parametrize("user_id", [MISSING, None], ids=["missing", "None"])
async def test_jwt_sessions_without_an_id_have_no_sub_as_in_v4(user_id: Any) -> None:
    gate = make_gate(providers=[Credentials(authorize=returning(user_id, email="a@b.co"))])
    response = await Client(gate).sign_in()
    claims = decode_session(response)
    assert "sub" not in claims
    assert claims["email"] == "a@b.co"


async def test_jwt_callbacks_see_the_id_as_authorize_returned_it() -> None:
    from authgate import Callbacks

    seen: list[Any] = []

    def jwt(token: Any, account: Any) -> Any:
        if account is not None:
            seen.append(account["providerAccountId"])
        return token

    provider = Credentials(authorize=returning(7))
    response = await Client(make_gate(providers=[provider], callbacks=Callbacks(jwt=jwt))).sign_in()
    assert decode_session(response)["sub"] == "7"
    assert seen == [7]  # v4: account.providerAccountId is user.id, a number stays a number
