"""MemoryAdapter's constraints and rollbacks: it stands in for the SQL schema in tests, so it
must refuse what the database refuses and undo what a failed transaction wrote."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from authgate.adapters.memory import MemoryAdapter

pytestmark = pytest.mark.anyio

LATER = datetime(2030, 1, 1, tzinfo=UTC)


class RollbackError(Exception):
    pass


async def _user(adapter: MemoryAdapter, email: str = "ada@example.com") -> str:
    user = await adapter.create_user({"email": email, "emailVerified": None})
    return user["id"]


async def test_unique_constraints() -> None:
    adapter = MemoryAdapter()
    ada = await _user(adapter)
    bob = await _user(adapter, "bob@example.com")
    with pytest.raises(ValueError, match="email exists"):
        await _user(adapter)
    with pytest.raises(ValueError, match="email exists"):
        await adapter.update_user({"id": bob, "email": "ada@example.com"})
    assert (await adapter.update_user({"id": ada, "email": "ada@example.com"}))["id"] == ada

    account = {"provider": "gh", "providerAccountId": "1", "type": "oauth", "userId": ada}
    await adapter.link_account(account)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="linked already"):
        await adapter.link_account({**account, "userId": bob})  # type: ignore[typeddict-item]

    session = {"sessionToken": "t", "userId": ada, "expires": LATER}
    await adapter.create_session(session)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="session token exists"):
        await adapter.create_session({**session, "userId": bob})  # type: ignore[typeddict-item]


async def test_references_to_unknown_users_are_refused() -> None:
    adapter = MemoryAdapter()
    with pytest.raises(LookupError):
        await adapter.update_user({"id": "404", "name": "x"})
    account = {"provider": "gh", "providerAccountId": "1", "type": "oauth", "userId": "404"}
    with pytest.raises(LookupError):
        await adapter.link_account(account)  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        await adapter.create_session({"sessionToken": "t", "userId": "404", "expires": LATER})
    with pytest.raises(LookupError):
        await adapter.create_authenticator(
            {  # type: ignore[typeddict-item]
                "credentialID": "AA==",
                "userId": "404",
                "providerAccountId": "AA==",
                "credentialPublicKey": "AA==",
                "counter": 0,
            }
        )
    await adapter.delete_user("404")  # no error, nothing to delete
    await adapter.unlink_account("gh", "404")
    assert await adapter.update_session("404", expires=LATER) is None
    assert adapter.dump() == {
        "users": [],
        "accounts": [],
        "sessions": [],
        "authenticators": [],
        "verification_tokens": [],
        "passwords": {},
        "two_factor": [],
        "recovery_codes": {},
    }


async def test_a_session_of_a_vanished_user_is_no_session() -> None:
    adapter = MemoryAdapter()
    ada = await _user(adapter)
    await adapter.create_session({"sessionToken": "t", "userId": ada, "expires": LATER})
    adapter._t.users.pop(ada)  # as a row deleted behind the adapter's back
    assert await adapter.get_session_and_user("t") is None


async def test_a_failed_transaction_undoes_deletes_and_updates() -> None:
    adapter = MemoryAdapter()
    ada = await _user(adapter)
    await adapter.link_account(
        {"provider": "gh", "providerAccountId": "1", "type": "oauth", "userId": ada}
    )
    await adapter.create_session({"sessionToken": "t", "userId": ada, "expires": LATER})
    before = adapter.dump()

    async def work() -> None:
        async with adapter.transaction() as tx:
            await tx.update_session("t", expires=LATER + timedelta(days=1))
            await tx.unlink_account("gh", "1")
            await tx.delete_user(ada)
            assert adapter.dump()["users"] == []
            raise RollbackError

    with pytest.raises(RollbackError):
        await work()
    assert adapter.dump() == before


async def test_a_nested_transaction_joins_its_parent() -> None:
    adapter = MemoryAdapter()

    async def work() -> None:
        async with adapter.transaction() as outer:
            async with outer.transaction() as inner:
                await _user(inner)  # type: ignore[arg-type]
            assert len(adapter.dump()["users"]) == 1
            raise RollbackError

    with pytest.raises(RollbackError):
        await work()
    assert adapter.dump()["users"] == [], "the inner write is undone with the outer block"
