"""The adapter contract: what authgate relies on from an :class:`~authgate.adapters.Adapter`.

Run it on your own adapter, in one call::

    from authgate.testing.adapter_contract import run_adapter_contract

    async def test_my_adapter():
        await run_adapter_contract(lambda: MyAdapter(...))

or one pytest test per check (clearer failures)::

    import pytest
    from authgate.testing.adapter_contract import CHECKS

    @pytest.mark.anyio
    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    async def test_contract(check, my_adapter):
        await check(my_adapter)

Each check uses fresh random e-mail addresses and tokens, so they can share one database.
A failed check raises :class:`AssertionError` saying what the adapter got wrong.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from authgate.adapters import AuthenticatorAdapter
from authgate.testing.account_contract import ACCOUNT_CHECKS, applies

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from authgate.adapters import (
        Adapter,
        AdapterAccount,
        AdapterAuthenticator,
        AdapterUser,
        NewUser,
    )

__all__ = ["AUTHENTICATOR_CHECKS", "CHECKS", "run_adapter_contract"]

# Whole seconds: some databases keep microseconds, some do not; none may lose seconds.
_NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


class _BoomError(Exception):
    """Raised inside a transaction to check it is rolled back."""


def _email() -> str:
    return f"contract-{secrets.token_hex(6)}@example.com"


def _account(user_id: str, provider: str = "github") -> AdapterAccount:
    return {
        "userId": user_id,
        "type": "oauth",
        "provider": provider,
        "providerAccountId": secrets.token_hex(8),
        "access_token": "at-" + secrets.token_hex(4),
        "refresh_token": None,
        "expires_at": 1_900_000_000,
        "token_type": "bearer",
        "scope": "read:user",
        "id_token": None,
        "session_state": None,
    }


async def _new_user(adapter: Adapter, **fields: Any) -> AdapterUser:
    user: NewUser = {"email": _email(), "emailVerified": None, "name": "Ada", "image": None}
    user.update(fields)  # type: ignore[typeddict-item]
    return await adapter.create_user(user)


def _same_moment(a: object, b: datetime, what: str) -> None:
    assert isinstance(a, datetime), f"{what}: expected a datetime, got {a!r}"
    assert a.tzinfo is not None, f"{what}: the datetime must be timezone-aware"
    assert a == b, f"{what}: stored {b.isoformat()}, got back {a.isoformat()}"


async def check_create_and_get_user(adapter: Adapter) -> None:
    email = _email()
    user = await adapter.create_user(
        {"email": email, "emailVerified": _NOW, "name": "Ada", "image": "https://i.example/a"}
    )
    assert isinstance(user["id"], str) and user["id"], "create_user must return a string id"
    assert user["email"] == email
    _same_moment(user["emailVerified"], _NOW, "create_user emailVerified")
    for found in (await adapter.get_user(user["id"]), await adapter.get_user_by_email(email)):
        assert found is not None, "a created user must be found by id and by email"
        assert found["id"] == user["id"]
        assert found["email"] == email
        assert found.get("name") == "Ada"
        assert found.get("image") == "https://i.example/a"
        _same_moment(found["emailVerified"], _NOW, "get_user emailVerified")


async def check_unknown_user_is_none(adapter: Adapter) -> None:
    assert await adapter.get_user("987654321") is None
    assert await adapter.get_user("not-an-id") is None, "a malformed id is None, not an error"
    assert await adapter.get_user_by_email(_email()) is None
    assert await adapter.get_user_by_account("github", secrets.token_hex(8)) is None


async def check_update_user(adapter: Adapter) -> None:
    user = await _new_user(adapter)
    updated = await adapter.update_user({"id": user["id"], "emailVerified": _NOW, "name": "Bo"})
    assert updated["id"] == user["id"]
    assert updated["email"] == user["email"], "update_user returns the whole user"
    assert updated.get("name") == "Bo"
    _same_moment(updated["emailVerified"], _NOW, "update_user emailVerified")
    again = await adapter.get_user(user["id"])
    assert again is not None and again.get("name") == "Bo"


async def check_link_and_unlink_account(adapter: Adapter) -> None:
    user = await _new_user(adapter)
    account = _account(user["id"])
    await adapter.link_account(account)
    found = await adapter.get_user_by_account(account["provider"], account["providerAccountId"])
    assert found is not None and found["id"] == user["id"], "get_user_by_account after linking"
    other = await adapter.get_user_by_account("google", account["providerAccountId"])
    assert other is None, "accounts are keyed by (provider, providerAccountId)"
    await adapter.unlink_account(account["provider"], account["providerAccountId"])
    gone = await adapter.get_user_by_account(account["provider"], account["providerAccountId"])
    assert gone is None, "unlink_account removes the account"
    assert await adapter.get_user(user["id"]) is not None, "unlinking keeps the user"


async def check_sessions(adapter: Adapter) -> None:
    user = await _new_user(adapter)
    token = secrets.token_urlsafe(32)
    created = await adapter.create_session(
        {"sessionToken": token, "userId": user["id"], "expires": _NOW}
    )
    assert created["sessionToken"] == token
    found = await adapter.get_session_and_user(token)
    assert found is not None, "get_session_and_user finds a created session"
    session, owner = found
    assert session["sessionToken"] == token and session["userId"] == user["id"]
    assert owner["id"] == user["id"] and owner["email"] == user["email"]
    _same_moment(session["expires"], _NOW, "session expires")

    later = _NOW + timedelta(days=3)
    moved = await adapter.update_session(token, expires=later)
    assert moved is not None
    _same_moment(moved["expires"], later, "update_session expires")
    found = await adapter.get_session_and_user(token)
    assert found is not None
    _same_moment(found[0]["expires"], later, "expires after update_session")

    deleted = await adapter.delete_session(token)
    assert deleted is not None and deleted["sessionToken"] == token, "delete_session returns it"
    assert await adapter.get_session_and_user(token) is None
    assert await adapter.delete_session(token) is None, "deleting twice: None the second time"
    assert await adapter.update_session(token, expires=later) is None


async def check_verification_token_single_use(adapter: Adapter) -> None:
    identifier, hashed = _email(), secrets.token_hex(32)
    await adapter.create_verification_token(
        {"identifier": identifier, "token": hashed, "expires": _NOW}
    )
    assert await adapter.use_verification_token(_email(), hashed) is None, "bound to its address"
    assert await adapter.use_verification_token(identifier, secrets.token_hex(32)) is None
    used = await adapter.use_verification_token(identifier, hashed)
    assert used is not None, "use_verification_token returns the stored token"
    assert used["identifier"] == identifier and used["token"] == hashed
    _same_moment(used["expires"], _NOW, "verification token expires")
    assert await adapter.use_verification_token(identifier, hashed) is None, "single use"


async def check_verification_token_concurrent_use(adapter: Adapter) -> None:
    identifier, hashed = _email(), secrets.token_hex(32)
    await adapter.create_verification_token(
        {"identifier": identifier, "token": hashed, "expires": _NOW}
    )
    results = await asyncio.gather(
        *(adapter.use_verification_token(identifier, hashed) for _ in range(4)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1, f"exactly one concurrent use may succeed, got {results!r}"


async def check_delete_user_cascades(adapter: Adapter) -> None:
    user = await _new_user(adapter)
    account = _account(user["id"])
    await adapter.link_account(account)
    token = secrets.token_urlsafe(32)
    await adapter.create_session({"sessionToken": token, "userId": user["id"], "expires": _NOW})
    await adapter.delete_user(user["id"])
    assert await adapter.get_user(user["id"]) is None
    assert (
        await adapter.get_user_by_account(account["provider"], account["providerAccountId"]) is None
    )
    assert await adapter.get_session_and_user(token) is None


async def check_transaction_commits(adapter: Adapter) -> None:
    email = _email()
    async with adapter.transaction() as tx:
        user = await tx.create_user({"email": email, "emailVerified": None, "name": None})
        account = _account(user["id"])
        await tx.link_account(account)
    found = await adapter.get_user_by_account(account["provider"], account["providerAccountId"])
    assert found is not None and found["email"] == email, "a finished transaction commits"


async def check_transaction_rolls_back(adapter: Adapter) -> None:
    email = _email()
    account: AdapterAccount | None = None
    token = secrets.token_urlsafe(32)
    try:
        async with adapter.transaction() as tx:
            user = await tx.create_user({"email": email, "emailVerified": None, "name": None})
            account = _account(user["id"])
            await tx.link_account(account)
            await tx.create_session({"sessionToken": token, "userId": user["id"], "expires": _NOW})
            raise _BoomError
    except _BoomError:
        pass
    assert account is not None
    assert await adapter.get_user_by_email(email) is None, "a failed transaction leaves no user"
    assert (
        await adapter.get_user_by_account(account["provider"], account["providerAccountId"]) is None
    ), "a failed transaction leaves no account"
    assert await adapter.get_session_and_user(token) is None, "... and no session"


CHECKS: tuple[Callable[[Adapter], Awaitable[None]], ...] = (
    check_create_and_get_user,
    check_unknown_user_is_none,
    check_update_user,
    check_link_and_unlink_account,
    check_sessions,
    check_verification_token_single_use,
    check_verification_token_concurrent_use,
    check_delete_user_cascades,
    check_transaction_commits,
    check_transaction_rolls_back,
)
"""Every check, in order; each takes an adapter and raises AssertionError on a violation."""


# ---- the Passkey capability (AuthenticatorAdapter) -------------------------------------------


def _authenticator(user_id: str, **fields: Any) -> AdapterAuthenticator:
    credential_id = base64.b64encode(secrets.token_bytes(32)).decode()
    made: AdapterAuthenticator = {
        "credentialID": credential_id,
        "userId": user_id,
        "providerAccountId": credential_id,
        "credentialPublicKey": base64.b64encode(secrets.token_bytes(77)).decode(),
        "counter": 0,
        "credentialDeviceType": "multiDevice",
        "credentialBackedUp": True,
        "transports": "internal,hybrid",
    }
    made.update(fields)  # type: ignore[typeddict-item]
    return made


async def check_authenticator_round_trip(adapter: Any) -> None:
    tx: AuthenticatorAdapter = adapter
    user = await _new_user(adapter)
    stored = _authenticator(user["id"], counter=4_294_967_295, transports=None)
    created = await tx.create_authenticator(stored)
    for key, value in stored.items():
        assert created[key] == value, f"create_authenticator changed {key}"  # type: ignore[literal-required]
    found = await tx.get_authenticator(stored["credentialID"])
    assert found is not None, "a stored authenticator is found by its credentialID"
    for key, value in stored.items():
        got = found[key]  # type: ignore[literal-required]
        assert got == value and type(got) is type(value), f"{key}: stored {value!r}, got {got!r}"
    assert found.get("name") is None, "an authenticator has no name until one is set"
    assert await tx.get_authenticator(_authenticator(user["id"])["credentialID"]) is None


async def check_authenticator_ids_are_unique(adapter: Any) -> None:
    tx: AuthenticatorAdapter = adapter
    first, second = await _new_user(adapter), await _new_user(adapter)
    stored = _authenticator(first["id"])
    await tx.create_authenticator(stored)
    try:
        await tx.create_authenticator({**stored, "userId": second["id"]})
    except Exception:  # noqa: BLE001, S110 - any storage error is the refusal asked for
        pass
    else:
        raise AssertionError("a credentialID stored for one user must not be stored again")
    found = await tx.get_authenticator(stored["credentialID"])
    assert found is not None and found["userId"] == first["id"], "the first owner keeps it"


async def check_authenticators_listed_by_user(adapter: Any) -> None:
    tx: AuthenticatorAdapter = adapter
    user, other = await _new_user(adapter), await _new_user(adapter)
    mine = [_authenticator(user["id"]) for _ in range(3)]
    for item in mine:
        await tx.create_authenticator(item)
    await tx.create_authenticator(_authenticator(other["id"]))
    listed = await tx.list_authenticators_by_user_id(user["id"])
    assert {a["credentialID"] for a in listed} == {a["credentialID"] for a in mine}
    again = await tx.list_authenticators_by_user_id(user["id"])
    assert [a["credentialID"] for a in again] == [a["credentialID"] for a in listed], "stable"
    assert await tx.list_authenticators_by_user_id("999999999") == []
    assert await tx.list_authenticators_by_user_id("not-an-id") == []


async def check_authenticator_counter_name_and_delete(adapter: Any) -> None:
    tx: AuthenticatorAdapter = adapter
    user = await _new_user(adapter)
    stored = _authenticator(user["id"])
    key = stored["credentialID"]
    await tx.create_authenticator(stored)
    updated = await tx.update_authenticator_counter(key, 7)
    assert updated["counter"] == 7
    found = await tx.get_authenticator(key)
    assert found is not None and found["counter"] == 7, "the new counter is stored"
    renamed = await tx.rename_authenticator(key, "Laptop")
    assert renamed is not None and renamed["name"] == "Laptop"
    found = await tx.get_authenticator(key)
    assert found is not None and found["name"] == "Laptop", "the name is stored"
    assert await tx.rename_authenticator(_authenticator(user["id"])["credentialID"], "x") is None
    try:
        await tx.update_authenticator_counter(_authenticator(user["id"])["credentialID"], 1)
    except LookupError:
        pass
    else:
        raise AssertionError("update_authenticator_counter of an unknown credential: LookupError")
    deleted = await tx.delete_authenticator(key)
    assert deleted is not None and deleted["credentialID"] == key
    assert await tx.get_authenticator(key) is None, "a deleted authenticator is gone"
    assert await tx.delete_authenticator(key) is None, "deleting twice finds nothing"


async def check_authenticators_go_with_their_user(adapter: Any) -> None:
    tx: AuthenticatorAdapter = adapter
    user = await _new_user(adapter)
    stored = _authenticator(user["id"])
    await tx.create_authenticator(stored)
    await adapter.delete_user(user["id"])
    assert await tx.get_authenticator(stored["credentialID"]) is None, "delete_user cascades"


async def check_authenticator_in_transaction_rolls_back(adapter: Any) -> None:
    user = await _new_user(adapter)
    stored = _authenticator(user["id"])
    try:
        async with adapter.transaction() as tx:
            await tx.link_account(
                {
                    "userId": user["id"],
                    "type": "webauthn",
                    "provider": "passkey",
                    "providerAccountId": stored["credentialID"],
                }
            )
            await tx.create_authenticator(stored)
            raise _BoomError
    except _BoomError:
        pass
    assert await adapter.get_authenticator(stored["credentialID"]) is None
    assert await adapter.get_user_by_account("passkey", stored["credentialID"]) is None


AUTHENTICATOR_CHECKS: tuple[Callable[[Any], Awaitable[None]], ...] = (
    check_authenticator_round_trip,
    check_authenticator_ids_are_unique,
    check_authenticators_listed_by_user,
    check_authenticator_counter_name_and_delete,
    check_authenticators_go_with_their_user,
    check_authenticator_in_transaction_rolls_back,
)
"""The checks of the optional :class:`~authgate.adapters.AuthenticatorAdapter` capability
(what the ``Passkey`` provider needs); run them on adapters that implement it."""


async def _close(adapter: object) -> None:
    close = getattr(adapter, "close", None)
    if close is not None:
        result = close()
        if inspect.isawaitable(result):
            await result


async def run_adapter_contract(
    make_adapter: Callable[[], Adapter | Awaitable[Adapter]],
) -> None:
    """Run every check of :data:`CHECKS`, each on a fresh ``make_adapter()`` (may be async).

    An adapter with the :class:`~authgate.adapters.AuthenticatorAdapter` methods is held to
    :data:`AUTHENTICATOR_CHECKS` as well, and one with the password-account or two-factor
    capabilities to the checks of :mod:`authgate.testing.account_contract` that apply.
    """
    for check in (*CHECKS, *AUTHENTICATOR_CHECKS, *ACCOUNT_CHECKS):
        made = make_adapter()
        adapter = await made if inspect.isawaitable(made) else made
        try:
            if check in AUTHENTICATOR_CHECKS and not isinstance(adapter, AuthenticatorAdapter):
                continue
            if check in ACCOUNT_CHECKS and not applies(check, adapter):
                continue
            await check(adapter)
        except AssertionError as exc:
            raise AssertionError(f"{check.__name__}: {exc}") from exc
        finally:
            await _close(adapter)
