"""Account linking rules (SECURITY.md, decision 9) of authgate._core.accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from authgate._core.accounts import AccountNotLinkedError, account_key, address_verified, resolve
from authgate.adapters.memory import MemoryAdapter

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0


def github(account_id: str = "42") -> dict[str, Any]:
    return {
        "provider": "github",
        "type": "oauth",
        "providerAccountId": account_id,
        "access_token": "t",
        "scope": ["read:user", "user:email"],
    }


PROVEN = datetime(2026, 1, 1, tzinfo=UTC)


async def existing(
    adapter: MemoryAdapter, email: str = "ada@example.com", verified: datetime | None = PROVEN
) -> Any:
    return await adapter.create_user({"email": email, "emailVerified": verified, "name": "Ada"})


async def test_new_account_creates_user_and_links() -> None:
    adapter = MemoryAdapter()
    user = {"id": "42", "email": "ada@example.com", "name": "Ada", "image": None}
    resolved = await resolve(adapter, user=user, account=github(), now=NOW)
    assert resolved.is_new_user
    assert [name for name, _ in resolved.events] == ["create_user", "link_account"]
    [account] = adapter.dump()["accounts"]
    assert account["userId"] == resolved.user["id"]
    assert account["scope"] == "read:user user:email"
    assert resolved.user["emailVerified"] is None, "not verified by the provider"
    again = await resolve(adapter, user=user, account=github(), now=NOW)
    assert not again.is_new_user
    assert again.events == []
    assert again.user["id"] == resolved.user["id"]


async def test_same_email_without_opt_in_is_not_linked() -> None:
    adapter = MemoryAdapter()
    await existing(adapter)
    user = {"id": "42", "email": "ada@example.com"}
    with pytest.raises(AccountNotLinkedError):
        await resolve(adapter, user=user, account=github(), email_verified=True, now=NOW)
    assert adapter.dump()["accounts"] == []


async def test_opt_in_without_a_verified_email_is_not_linked() -> None:
    adapter = MemoryAdapter()
    await existing(adapter)
    user = {"id": "42", "email": "ada@example.com"}
    with pytest.raises(AccountNotLinkedError):
        await resolve(adapter, user=user, account=github(), allow_email_linking=True, now=NOW)


async def test_opt_in_never_links_to_a_user_that_only_claims_the_address() -> None:
    """Pre-hijacking: an attacker's user holds the address unverified; the owner comes."""
    adapter = MemoryAdapter()
    await existing(adapter, verified=None)
    user = {"id": "42", "email": "ada@example.com"}
    with pytest.raises(AccountNotLinkedError):
        await resolve(
            adapter,
            user=user,
            account=github(),
            email_verified=True,
            allow_email_linking=True,
            now=NOW,
        )
    assert adapter.dump()["accounts"] == []


async def test_opt_in_and_verified_email_links_to_the_existing_user() -> None:
    adapter = MemoryAdapter()
    ada = await existing(adapter)
    resolved = await resolve(
        adapter,
        user={"id": "42", "email": "ada@example.com"},
        account=github(),
        email_verified=True,
        allow_email_linking=True,
        now=NOW,
    )
    assert resolved.user["id"] == ada["id"]
    assert not resolved.is_new_user, "v4 quirk Q9 (isNewUser true) is not reproduced"
    assert [name for name, _ in resolved.events] == ["link_account"]


async def test_a_session_never_links_only_an_explicit_link_does() -> None:
    adapter = MemoryAdapter()
    ada = await existing(adapter)
    bob = await existing(adapter, "bob@example.com")
    await adapter.link_account({**github("7"), "userId": bob["id"]})  # type: ignore[typeddict-item]
    # An explicit link to Ada of an account Bob owns: refused.
    with pytest.raises(AccountNotLinkedError):
        await resolve(adapter, user={"id": "7"}, account=github("7"), link_to=ada["id"], now=NOW)
    linked = await resolve(
        adapter, user={"id": "9", "email": None}, account=github("9"), link_to=ada["id"], now=NOW
    )
    assert linked.user["id"] == ada["id"]
    assert [name for name, _ in linked.events] == ["link_account"]


async def test_credentials_never_link_by_email() -> None:
    adapter = MemoryAdapter()
    await existing(adapter)
    account = {"provider": "credentials", "type": "credentials", "providerAccountId": "1"}
    with pytest.raises(AccountNotLinkedError):
        await resolve(
            adapter,
            user={"id": "1", "email": "ada@example.com"},
            account=account,
            email_verified=True,
            allow_email_linking=True,
            now=NOW,
        )


async def test_email_sign_in_updates_or_creates() -> None:
    adapter = MemoryAdapter()
    account = {"provider": "email", "type": "email", "providerAccountId": "ada@example.com"}
    first = await resolve(adapter, user={"email": "ada@example.com"}, account=account, now=NOW)
    assert first.is_new_user
    assert first.events[0][0] == "create_user"
    second = await resolve(adapter, user={"email": "ada@example.com"}, account=account, now=NOW)
    assert not second.is_new_user
    assert second.events[0][0] == "update_user"


async def test_unverified_addresses_are_stored_unverified() -> None:
    adapter = MemoryAdapter()
    user = {"id": "42", "email": "ada@example.com"}
    resolved = await resolve(adapter, user=user, account=github(), now=NOW)
    assert resolved.user["email"] == "ada@example.com"
    assert resolved.user["emailVerified"] is None
    vouched = await resolve(
        adapter,
        user={"id": "7", "email": "b@example.com"},
        account=github("7"),
        email_verified=True,
        now=NOW,
    )
    assert vouched.user["emailVerified"] == datetime.fromtimestamp(NOW, UTC)


async def test_a_magic_link_takes_the_address_from_a_user_that_only_claimed_it() -> None:
    adapter = MemoryAdapter()
    claimed = await resolve(
        adapter, user={"id": "42", "email": "ada@example.com"}, account=github(), now=NOW
    )
    account = {"provider": "email", "type": "email", "providerAccountId": "ada@example.com"}
    proven = await resolve(adapter, user={"email": "ada@example.com"}, account=account, now=NOW)
    assert proven.is_new_user
    assert proven.user["id"] != claimed.user["id"]
    assert proven.user["emailVerified"] == datetime.fromtimestamp(NOW, UTC)
    assert [name for name, _ in proven.events] == ["update_user", "create_user"]
    released = await adapter.get_user(claimed.user["id"])
    assert released is not None
    assert released["email"] is None
    # The claimant keeps its account, but it no longer reaches the owner's user.
    by_account = await adapter.get_user_by_account("github", "42")
    assert by_account is not None
    assert by_account["id"] == claimed.user["id"]


def test_address_verified() -> None:
    assert address_verified({"emailVerified": PROVEN})
    assert not address_verified({"emailVerified": None})
    assert not address_verified({})


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (1, "1"),
        ("a", "a"),
        (" a", " a"),
        (None, None),
        ("", None),
        (" ", None),
        (True, None),
        (1.0, None),
        ([1], None),
        ("\ud800", None),
        ("x" * 256, None),
        ("x" * 255, "x" * 255),
    ],
)
def test_account_key(value: Any, key: str | None) -> None:
    assert account_key(value) == key
