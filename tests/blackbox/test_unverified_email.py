"""Defect 4 of issue 9 for credentials users: only an address someone vouched for is proven.

A credentials user stored with database sessions holds the address ``authorize`` returned.
Unless ``authorize`` vouches for it (``email_verified: True`` or an ``emailVerified`` date), a
magic link for that address goes to a user of its own, never into the credentials user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from authgate.adapters.memory import MemoryAdapter
from authgate.providers import Credentials, Email

from .conftest import NOW, SESSION, Client, make_gate
from .test_email import Outbox, follow, request_link

pytestmark = pytest.mark.anyio


def gate(adapter: MemoryAdapter, outbox: Outbox, vouch: dict[str, Any]) -> Any:
    def authorize(credentials: Any, request: Any) -> dict[str, Any]:
        return {"id": "7", "name": "Eve", "email": "ada@example.com", **vouch}

    providers = [
        Credentials(authorize=authorize, database_session=True),
        Email(send_verification_request=outbox),
    ]
    return make_gate(providers=providers, adapter=adapter)


def session_user(adapter: MemoryAdapter, client: Client) -> str:
    [row] = [s for s in adapter.dump()["sessions"] if s["sessionToken"] == client.jar[SESSION]]
    return str(row["userId"])


@pytest.mark.parametrize(
    ("vouch", "same_user"),
    [
        ({}, False),
        ({"email_verified": False}, False),
        ({"email_verified": True}, True),
        ({"emailVerified": datetime(2026, 1, 1, tzinfo=UTC)}, True),
    ],
    ids=["silent", "unverified", "email_verified", "emailVerified"],
)
async def test_a_magic_link_lands_in_a_credentials_user_only_when_vouched_for(
    vouch: dict[str, Any], same_user: bool
) -> None:
    adapter, outbox = MemoryAdapter(), Outbox()
    auth = gate(adapter, outbox, vouch)
    first = Client(auth)
    await first.sign_in()
    [stored] = adapter.dump()["users"]
    assert (stored["emailVerified"] is not None) is same_user

    second = Client(auth)
    await request_link(second)
    await follow(second, outbox)
    assert (session_user(adapter, second) == stored["id"]) is same_user
    users = {u["id"]: u for u in adapter.dump()["users"]}
    assert users[session_user(adapter, second)]["email"] == "ada@example.com"
    assert users[session_user(adapter, second)]["emailVerified"] == datetime.fromtimestamp(NOW, UTC)
