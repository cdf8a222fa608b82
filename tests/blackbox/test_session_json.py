"""``/session`` keys: present or absent as in next-auth v4 (issue 9), in both strategies.

v4 builds ``session.user`` as ``{name, email, image}`` and ``JSON.stringify`` drops members
that are ``undefined`` but keeps ``null``. JWT sessions: from the token's claims (no
``picture`` claim, no ``image`` key). Database sessions: from the adapter's user (a field the
adapter leaves out stays out; a stored ``NULL`` is ``null``, as with Prisma).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from authgate import jwt as authjwt
from authgate.adapters.memory import MemoryAdapter
from authgate.adapters.sqlalchemy import SQLAlchemyAdapter
from authgate.providers import Credentials

from .conftest import NOW, SECRET, SESSION, Client, body_json, check_password, make_gate

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.anyio

TOKEN = "a" * 64


def db_gate(adapter: Any, **config: Any) -> Any:
    provider = Credentials(authorize=check_password, database_session=True)
    return make_gate(adapter=adapter, providers=[provider], **config)


async def stored_session(adapter: Any, user: dict[str, Any]) -> None:
    created = await adapter.create_user(user)
    expires = datetime.fromtimestamp(NOW + 86_400, UTC)
    await adapter.create_session(
        {"sessionToken": TOKEN, "userId": created["id"], "expires": expires}
    )


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"email": "a@example.com", "emailVerified": None}, {"email": "a@example.com"}),
        (
            {"name": "Ada", "email": "a@example.com", "emailVerified": None},
            {"name": "Ada", "email": "a@example.com"},
        ),
        (
            {"name": None, "email": "a@example.com", "image": None, "emailVerified": None},
            {"name": None, "email": "a@example.com", "image": None},
        ),
    ],
)
async def test_database_session_keeps_what_the_adapter_returns(
    user: dict[str, Any], expected: dict[str, Any]
) -> None:
    adapter = MemoryAdapter()
    await stored_session(adapter, user)
    client = Client(db_gate(adapter), jar={SESSION: TOKEN})
    body = body_json(await client.get("/session"))
    assert body["user"] == expected
    helper = await client.gate.get_session(_request(client), now=NOW)
    assert helper is not None
    assert helper["user"] == expected


async def test_sql_adapter_answers_null_like_prisma(tmp_path: Path) -> None:
    adapter = SQLAlchemyAdapter(tmp_path / "auth.db")
    await adapter.create_tables()
    try:
        await stored_session(adapter, {"email": "a@example.com", "emailVerified": None})
        client = Client(db_gate(adapter), jar={SESSION: TOKEN})
        body = body_json(await client.get("/session"))
    finally:
        await adapter.close()
    assert body["user"] == {"name": None, "email": "a@example.com", "image": None}


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"sub": "1", "email": "a@example.com"}, {"email": "a@example.com"}),
        ({"sub": "1", "name": "Ada", "picture": None}, {"name": "Ada", "image": None}),
        ({"sub": "1"}, {}),
    ],
)
async def test_jwt_session_leaves_out_absent_claims(
    claims: dict[str, Any], expected: dict[str, Any]
) -> None:
    client = Client(make_gate(), jar={SESSION: authjwt.encode(claims, SECRET, now=NOW)})
    body = body_json(await client.get("/session"))
    assert body["user"] == expected


def _request(client: Client) -> Any:
    from authgate import AuthRequest

    cookie = "; ".join(f"{k}={v}" for k, v in client.jar.items())
    return AuthRequest.build(method="GET", path="/", headers=[("cookie", cookie)])
