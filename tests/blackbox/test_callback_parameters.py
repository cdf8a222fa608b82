"""Issue 9: a callback that declares a parameter the strategy never provides.

README's ``def session(session, token)`` with database sessions failed every ``/session`` with
``missing 1 required positional argument: 'token'`` and every user looked signed out. v4
passes ``undefined`` there; authgate passes ``None`` (a parameter with a default keeps it).
"""

from __future__ import annotations

from typing import Any

import pytest

from authgate import Callbacks
from authgate.adapters.memory import MemoryAdapter

from .conftest import Client, body_json, make_gate
from .test_database_sessions import db_gate

pytestmark = pytest.mark.anyio


async def test_database_session_callback_declaring_token_gets_none() -> None:
    seen: list[Any] = []

    def session(session: dict[str, Any], token: Any) -> dict[str, Any]:
        seen.append(token)
        return {**session, "from_callback": True}

    client = Client(db_gate(MemoryAdapter(), callbacks=Callbacks(session=session)))
    await client.sign_in()
    body = body_json(await client.get("/session"))
    assert body["from_callback"] is True
    assert body["user"]["email"] == "ada@example.com"
    assert seen == [None]


async def test_jwt_session_callback_declaring_user_gets_none() -> None:
    seen: list[Any] = []

    def session(session: dict[str, Any], token: Any, user: Any) -> dict[str, Any]:
        seen.append((token["sub"], user))
        return session

    client = Client(make_gate(callbacks=Callbacks(session=session)))
    await client.sign_in()
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"
    assert seen == [("1", None)]


async def test_jwt_callback_declaring_sign_in_parameters_works_on_session() -> None:
    calls: list[tuple[Any, Any, Any]] = []

    def jwt(token: dict[str, Any], user: Any, account: Any, trigger: Any = "default") -> Any:
        calls.append((user is not None, account is not None, trigger))
        return token

    client = Client(make_gate(callbacks=Callbacks(jwt=jwt)))
    await client.sign_in()
    assert body_json(await client.get("/session"))["user"]["name"] == "Ada"
    # At sign-in everything is there; on /session user and account are None, and a
    # parameter with a default the call does not provide keeps its default.
    assert calls == [(True, True, "signIn"), (False, False, "default")]
