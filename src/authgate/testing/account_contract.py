"""The contract of the optional capabilities of password accounts and two-factor sign-in.

An adapter that implements :class:`~authgate.adapters.PasswordStore`,
:class:`~authgate.adapters.UserSessions` or :class:`~authgate.adapters.TwoFactorStore` is held
to these checks (``run_adapter_contract`` runs the ones that apply)::

    from authgate.testing.account_contract import ACCOUNT_CHECKS
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from authgate.adapters import PasswordStore, SessionDevices, TwoFactorStore, UserSessions

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from authgate.adapters import AdapterUser, TwoFactorRecord

__all__ = ["ACCOUNT_CHECKS", "applies"]

_NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


async def _user(adapter: Any) -> AdapterUser:
    user: AdapterUser = await adapter.create_user(
        {"email": f"contract-{secrets.token_hex(6)}@example.com", "emailVerified": None}
    )
    return user


def _record(user_id: str) -> TwoFactorRecord:
    return {
        "userId": user_id,
        "secret": "sealed." + secrets.token_hex(8),
        "lastStep": None,
        "createdAt": _NOW,
    }


async def check_password_hash_round_trip(adapter: Any) -> None:
    user = await _user(adapter)
    assert await adapter.get_password_hash(user["id"]) is None, "no hash before one is set"
    await adapter.set_password_hash(user["id"], "$argon2id$first")
    await adapter.set_password_hash(user["id"], "$argon2id$second")
    assert await adapter.get_password_hash(user["id"]) == "$argon2id$second", "replaced"
    await adapter.delete_user(user["id"])
    assert await adapter.get_password_hash(user["id"]) is None, "the hash goes with its user"


async def check_delete_user_sessions_keeps_one(adapter: Any) -> None:
    user, other = await _user(adapter), await _user(adapter)
    tokens = [secrets.token_hex(32) for _ in range(3)]
    expires = _NOW + timedelta(days=1)
    for token in tokens:
        await adapter.create_session(
            {"sessionToken": token, "userId": user["id"], "expires": expires}
        )
    theirs = secrets.token_hex(32)
    await adapter.create_session(
        {"sessionToken": theirs, "userId": other["id"], "expires": expires}
    )
    assert await adapter.delete_user_sessions(user["id"], keep=tokens[0]) == 2
    assert await adapter.get_session_and_user(tokens[0]) is not None, "the kept one stays"
    assert await adapter.get_session_and_user(tokens[1]) is None
    assert await adapter.get_session_and_user(theirs) is not None, "another user's stays"


async def check_two_factor_round_trip(adapter: Any) -> None:
    user = await _user(adapter)
    subject = user["id"]
    assert await adapter.get_two_factor(subject) is None
    record = _record(subject)
    await adapter.enable_two_factor(record, ["a" * 64, "b" * 64])
    stored = await adapter.get_two_factor(subject)
    assert stored is not None
    assert stored["secret"] == record["secret"], "the sealed secret is kept as it is"
    assert stored["lastStep"] is None
    assert await adapter.count_recovery_codes(subject) == 2
    await adapter.replace_recovery_codes(subject, ["c" * 64])
    assert await adapter.count_recovery_codes(subject) == 1
    assert not await adapter.use_recovery_code(subject, "a" * 64), "replaced codes are gone"
    await adapter.disable_two_factor(subject)
    assert await adapter.get_two_factor(subject) is None
    assert await adapter.count_recovery_codes(subject) == 0
    # A Credentials user's subject is not a stored user's id.
    await adapter.enable_two_factor(_record("credentials:ada"), [])
    assert await adapter.get_two_factor("credentials:ada") is not None


async def check_totp_steps_are_used_once(adapter: Any) -> None:
    subject = f"credentials:{secrets.token_hex(4)}"
    await adapter.enable_two_factor(_record(subject), [])
    assert await adapter.use_totp_step(subject, 100)
    assert not await adapter.use_totp_step(subject, 100), "the same step twice"
    assert not await adapter.use_totp_step(subject, 99), "an earlier step"
    results = await asyncio.gather(*(adapter.use_totp_step(subject, 101) for _ in range(5)))
    assert sum(results) == 1, "of concurrent uses of one step exactly one wins"
    assert not await adapter.use_totp_step("nobody", 1)


async def check_recovery_codes_are_used_once(adapter: Any) -> None:
    subject = f"credentials:{secrets.token_hex(4)}"
    await adapter.enable_two_factor(_record(subject), ["d" * 64, "e" * 64])
    results = await asyncio.gather(
        *(adapter.use_recovery_code(subject, "d" * 64) for _ in range(5))
    )
    assert sum(results) == 1, "of concurrent uses of one code exactly one wins"
    assert not await adapter.use_recovery_code(subject, "d" * 64)
    assert not await adapter.use_recovery_code("someone-else", "e" * 64), "bound to its user"
    assert await adapter.count_recovery_codes(subject) == 1


async def check_session_methods(adapter: Any) -> None:
    token = secrets.token_hex(32)
    assert await adapter.get_session_methods(token) is None
    await adapter.set_session_methods(token, ["pwd"])
    await adapter.set_session_methods(token, ["pwd", "otp"])
    assert await adapter.get_session_methods(token) == ["pwd", "otp"]


async def check_session_devices(adapter: Any) -> None:
    token, other = secrets.token_hex(32), secrets.token_hex(32)
    began = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    later = datetime(2027, 1, 16, 9, 30, tzinfo=UTC)
    assert await adapter.get_session_devices([token]) == {}
    await adapter.touch_session_device(token, later)  # no record yet: nothing happens
    assert await adapter.get_session_devices([token]) == {}
    device = {"createdAt": began, "lastSeen": began, "userAgent": "Firefox/130", "ipPrefix": None}
    await adapter.set_session_device(token, device)
    await adapter.set_session_device(other, {**device, "ipPrefix": "2001:db8::/48"})
    await adapter.touch_session_device(token, later)
    found = await adapter.get_session_devices([token, other, "missing"])
    assert found == {
        token: {**device, "lastSeen": later},
        other: {**device, "ipPrefix": "2001:db8::/48"},
    }


_NEEDS: dict[Callable[[Any], Awaitable[None]], type] = {
    check_password_hash_round_trip: PasswordStore,
    check_delete_user_sessions_keeps_one: UserSessions,
    check_two_factor_round_trip: TwoFactorStore,
    check_totp_steps_are_used_once: TwoFactorStore,
    check_recovery_codes_are_used_once: TwoFactorStore,
    check_session_methods: TwoFactorStore,
    check_session_devices: SessionDevices,
}

ACCOUNT_CHECKS: tuple[Callable[[Any], Awaitable[None]], ...] = tuple(_NEEDS)
"""The checks of the password-account and two-factor capabilities."""


def applies(check: Callable[[Any], Awaitable[None]], adapter: object) -> bool:
    """Whether ``adapter`` has the capability ``check`` is about."""
    return isinstance(adapter, _NEEDS[check])
