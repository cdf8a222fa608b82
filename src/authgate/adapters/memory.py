"""MemoryAdapter: every table a dict in this process. For tests, demos and prototypes.

Nothing survives a restart and nothing is shared between processes. ``transaction()`` keeps an
undo log, so a failed multi-step write is rolled back as it would be in a database.
"""

from __future__ import annotations

import copy
import itertools
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Sequence
    from datetime import datetime

    from authgate.adapters import (
        Adapter,
        AdapterAccount,
        AdapterAuthenticator,
        AdapterSession,
        AdapterUser,
        NewUser,
        SessionDevice,
        TwoFactorRecord,
        UserUpdate,
        VerificationToken,
    )

__all__ = ["MemoryAdapter"]


class _Tables:
    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.users: dict[str, AdapterUser] = {}
        self.accounts: dict[tuple[str, str], AdapterAccount] = {}
        self.sessions: dict[str, AdapterSession] = {}
        self.tokens: dict[tuple[str, str], VerificationToken] = {}
        self.passwords: dict[str, str] = {}
        self.two_factor: dict[str, TwoFactorRecord] = {}
        self.recovery_codes: dict[str, set[str]] = {}
        self.session_methods: dict[str, list[str]] = {}
        self.session_devices: dict[str, SessionDevice] = {}
        self.authenticators: dict[str, AdapterAuthenticator] = {}  # by credentialID


class MemoryAdapter:
    """An :class:`~authgate.adapters.Adapter` keeping everything in dicts.

    It has every optional capability (:class:`~authgate.adapters.PasswordStore`,
    :class:`~authgate.adapters.UserSessions`, :class:`~authgate.adapters.TwoFactorStore`).

    E-mail addresses are unique, as in the SQL schema: creating a second user with the same
    address raises :class:`ValueError`.
    """

    def __init__(self) -> None:
        self._t = _Tables()
        self._undo: list[Callable[[], object]] | None = None

    def _log(self, undo: Callable[[], object]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    # ---- users -------------------------------------------------------------------------

    async def create_user(self, user: NewUser) -> AdapterUser:
        email = user.get("email")
        if email is not None and any(u["email"] == email for u in self._t.users.values()):
            raise ValueError("a user with this email exists")
        created: AdapterUser = {**copy.deepcopy(user), "id": str(next(self._t.ids))}
        self._t.users[created["id"]] = created
        self._log(lambda: self._t.users.pop(created["id"], None))
        return copy.deepcopy(created)

    async def get_user(self, user_id: str) -> AdapterUser | None:
        user = self._t.users.get(str(user_id))
        return copy.deepcopy(user) if user else None

    async def get_user_by_email(self, email: str) -> AdapterUser | None:
        for user in self._t.users.values():
            if user["email"] == email:
                return copy.deepcopy(user)
        return None

    async def get_user_by_account(
        self, provider: str, provider_account_id: str
    ) -> AdapterUser | None:
        account = self._t.accounts.get((provider, provider_account_id))
        return await self.get_user(account["userId"]) if account else None

    async def update_user(self, user: UserUpdate) -> AdapterUser:
        current = self._t.users.get(user["id"])
        if current is None:
            raise LookupError("no such user")
        email = user.get("email", current["email"])
        taken = any(u["email"] == email for u in self._t.users.values())
        if email is not None and email != current["email"] and taken:
            raise ValueError("a user with this email exists")
        before = copy.deepcopy(current)
        current.update(copy.deepcopy(user))
        self._log(lambda: self._t.users.__setitem__(before["id"], before))
        return copy.deepcopy(current)

    async def delete_user(self, user_id: str) -> None:
        tables = self._t
        user = tables.users.pop(str(user_id), None)
        if user is None:
            return
        accounts = {k: a for k, a in tables.accounts.items() if a["userId"] == user["id"]}
        sessions = {k: s for k, s in tables.sessions.items() if s["userId"] == user["id"]}
        password = tables.passwords.pop(user["id"], None)
        factor = tables.two_factor.pop(user["id"], None)
        codes = tables.recovery_codes.pop(user["id"], None)
        keys = {k: a for k, a in tables.authenticators.items() if a["userId"] == user["id"]}
        for key in accounts:
            del tables.accounts[key]
        for token in sessions:
            del tables.sessions[token]
            self._drop_device(token)
        for credential_id in keys:
            del tables.authenticators[credential_id]

        def undo() -> None:
            tables.users[user["id"]] = user
            tables.accounts.update(accounts)
            tables.sessions.update(sessions)
            if password is not None:
                tables.passwords[user["id"]] = password
            if factor is not None:
                tables.two_factor[user["id"]] = factor
            if codes is not None:
                tables.recovery_codes[user["id"]] = codes
            tables.authenticators.update(keys)

        self._log(undo)

    # ---- accounts ----------------------------------------------------------------------

    async def link_account(self, account: AdapterAccount) -> None:
        key = (account["provider"], account["providerAccountId"])
        if key in self._t.accounts:
            raise ValueError("this provider account is linked already")
        if account["userId"] not in self._t.users:
            raise LookupError("no such user")
        self._t.accounts[key] = copy.deepcopy(account)
        self._log(lambda: self._t.accounts.pop(key, None))

    async def unlink_account(self, provider: str, provider_account_id: str) -> None:
        key = (provider, provider_account_id)
        account = self._t.accounts.pop(key, None)
        if account is not None:
            self._log(lambda: self._t.accounts.__setitem__(key, account))

    # ---- sessions ----------------------------------------------------------------------

    async def create_session(self, session: AdapterSession) -> AdapterSession:
        token = session["sessionToken"]
        if token in self._t.sessions:
            raise ValueError("session token exists")
        if session["userId"] not in self._t.users:
            raise LookupError("no such user")
        self._t.sessions[token] = dict(session)  # type: ignore[assignment]
        self._log(lambda: self._t.sessions.pop(token, None))
        return dict(session)  # type: ignore[return-value]

    async def get_session_and_user(
        self, session_token: str
    ) -> tuple[AdapterSession, AdapterUser] | None:
        session = self._t.sessions.get(session_token)
        if session is None:
            return None
        user = await self.get_user(session["userId"])
        if user is None:
            return None
        return dict(session), user  # type: ignore[return-value]

    async def update_session(
        self, session_token: str, *, expires: datetime
    ) -> AdapterSession | None:
        session = self._t.sessions.get(session_token)
        if session is None:
            return None
        before = session["expires"]
        session["expires"] = expires

        def undo() -> None:
            session["expires"] = before

        self._log(undo)
        return dict(session)  # type: ignore[return-value]

    async def get_sessions_by_user(self, user_id: str) -> list[AdapterSession]:
        """Every stored session of ``user_id`` (:class:`~authgate.adapters.SessionListing`)."""
        found = [s for s in self._t.sessions.values() if s["userId"] == user_id]
        return [dict(s) for s in found]  # type: ignore[misc]

    async def delete_session(self, session_token: str) -> AdapterSession | None:
        self._drop_device(session_token)
        session = self._t.sessions.pop(session_token, None)
        if session is not None:
            self._log(lambda: self._t.sessions.__setitem__(session_token, session))
        return dict(session) if session else None  # type: ignore[return-value]

    # ---- verification tokens -----------------------------------------------------------

    async def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        key = (token["identifier"], token["token"])
        self._t.tokens[key] = dict(token)  # type: ignore[assignment]
        self._log(lambda: self._t.tokens.pop(key, None))
        return dict(token)  # type: ignore[return-value]

    async def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        key = (identifier, token)
        found = self._t.tokens.pop(key, None)
        if found is not None:
            self._log(lambda: self._t.tokens.__setitem__(key, found))
        return dict(found) if found else None  # type: ignore[return-value]

    # ---- passwords (PasswordStore) ----------------------------------------------------

    async def get_password_hash(self, user_id: str) -> str | None:
        return self._t.passwords.get(str(user_id))

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        key = str(user_id)
        if key not in self._t.users:
            raise LookupError("no such user")
        self._restore_later(self._t.passwords, key)
        self._t.passwords[key] = password_hash

    # ---- all sessions of a user (UserSessions) ------------------------------------------

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        doomed = [
            token
            for token, session in self._t.sessions.items()
            if session["userId"] == str(user_id) and token != keep
        ]
        for token in doomed:
            self._restore_later(self._t.sessions, token)
            del self._t.sessions[token]
            self._drop_device(token)
        return len(doomed)

    # ---- session devices (SessionDevices) -----------------------------------------------

    def _drop_device(self, session_token: str) -> None:
        """Forget the session's device and sign-in methods (deleted with the session)."""
        for rows in (self._t.session_devices, self._t.session_methods):
            if session_token in rows:
                self._restore_later(rows, session_token)
                del rows[session_token]

    async def set_session_device(self, session_token: str, device: SessionDevice) -> None:
        self._restore_later(self._t.session_devices, session_token)
        self._t.session_devices[session_token] = dict(device)  # type: ignore[assignment]

    async def touch_session_device(self, session_token: str, last_seen: datetime) -> None:
        device = self._t.session_devices.get(session_token)
        if device is not None:
            self._restore_later(self._t.session_devices, session_token)
            self._t.session_devices[session_token] = {**device, "lastSeen": last_seen}

    async def get_session_devices(self, session_tokens: Sequence[str]) -> dict[str, SessionDevice]:
        found = self._t.session_devices
        return {t: dict(found[t]) for t in session_tokens if t in found}  # type: ignore[misc]

    # ---- second factors (TwoFactorStore) ------------------------------------------------

    async def get_two_factor(self, user_id: str) -> TwoFactorRecord | None:
        record = self._t.two_factor.get(str(user_id))
        return copy.deepcopy(record) if record else None

    async def enable_two_factor(self, record: TwoFactorRecord, recovery_codes: list[str]) -> None:
        key = str(record["userId"])
        self._restore_later(self._t.two_factor, key)
        self._restore_later(self._t.recovery_codes, key)
        self._t.two_factor[key] = copy.deepcopy(record)
        self._t.recovery_codes[key] = set(recovery_codes)

    async def disable_two_factor(self, user_id: str) -> None:
        key = str(user_id)
        self._restore_later(self._t.two_factor, key)
        self._restore_later(self._t.recovery_codes, key)
        self._t.two_factor.pop(key, None)
        self._t.recovery_codes.pop(key, None)

    async def use_totp_step(self, user_id: str, step: int) -> bool:
        record = self._t.two_factor.get(str(user_id))
        if record is None or (record["lastStep"] is not None and step <= record["lastStep"]):
            return False
        before = record["lastStep"]
        record["lastStep"] = step

        def undo() -> None:
            record["lastStep"] = before

        self._log(undo)
        return True

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        codes = self._t.recovery_codes.get(str(user_id))
        if codes is None or code_hash not in codes:
            return False
        codes.discard(code_hash)
        self._log(lambda: codes.add(code_hash))
        return True

    async def replace_recovery_codes(self, user_id: str, recovery_codes: list[str]) -> None:
        key = str(user_id)
        self._restore_later(self._t.recovery_codes, key)
        self._t.recovery_codes[key] = set(recovery_codes)

    async def count_recovery_codes(self, user_id: str) -> int:
        return len(self._t.recovery_codes.get(str(user_id), ()))

    async def set_session_methods(self, session_token: str, methods: list[str]) -> None:
        self._restore_later(self._t.session_methods, session_token)
        self._t.session_methods[session_token] = list(methods)

    async def get_session_methods(self, session_token: str) -> list[str] | None:
        methods = self._t.session_methods.get(session_token)
        return None if methods is None else list(methods)

    def _restore_later(self, table: dict[str, Any], key: str) -> None:
        """Log the undo of a write to ``table[key]`` (its previous value, or its absence)."""
        if key in table:
            before = table[key]
            self._log(lambda: table.__setitem__(key, before))
        else:
            self._log(lambda: table.pop(key, None))

    # ---- authenticators (the Passkey capability) ---------------------------------------

    async def create_authenticator(
        self, authenticator: AdapterAuthenticator
    ) -> AdapterAuthenticator:
        key = authenticator["credentialID"]
        if key in self._t.authenticators:
            raise ValueError("this credential is stored already")
        if authenticator["userId"] not in self._t.users:
            raise LookupError("no such user")
        stored: AdapterAuthenticator = {"name": None, **copy.deepcopy(authenticator)}
        self._t.authenticators[key] = stored
        self._log(lambda: self._t.authenticators.pop(key, None))
        return copy.deepcopy(stored)

    async def get_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        found = self._t.authenticators.get(credential_id)
        return copy.deepcopy(found) if found else None

    async def list_authenticators_by_user_id(self, user_id: str) -> list[AdapterAuthenticator]:
        mine = [a for a in self._t.authenticators.values() if a["userId"] == str(user_id)]
        return copy.deepcopy(mine)

    async def update_authenticator_counter(
        self, credential_id: str, counter: int
    ) -> AdapterAuthenticator:
        changed = await self._change(credential_id, "counter", counter, missing=LookupError)
        assert changed is not None  # noqa: S101 - _change raised otherwise
        return changed

    async def rename_authenticator(
        self, credential_id: str, name: str | None
    ) -> AdapterAuthenticator | None:
        return await self._change(credential_id, "name", name, missing=None)

    async def _change(
        self, credential_id: str, key: str, value: object, *, missing: type[Exception] | None
    ) -> AdapterAuthenticator | None:
        found = self._t.authenticators.get(credential_id)
        if found is None:
            if missing is not None:
                raise missing("no such authenticator")
            return None
        before = found.get(key)
        found[key] = value  # type: ignore[literal-required]

        def undo() -> None:
            found[key] = before  # type: ignore[literal-required]

        self._log(undo)
        return copy.deepcopy(found)

    async def delete_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        found = self._t.authenticators.pop(credential_id, None)
        if found is not None:
            self._log(lambda: self._t.authenticators.__setitem__(credential_id, found))
        return copy.deepcopy(found) if found else None

    # ---- transactions ------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Adapter]:
        """Writes through the yielded adapter are undone if the block raises."""
        tx = type(self).__new__(type(self))
        tx._t = self._t
        tx._undo = []
        try:
            yield tx
        except BaseException:
            for undo in reversed(tx._undo):
                undo()
            raise
        else:
            if self._undo is not None:  # a nested transaction joins its parent's
                self._undo.extend(tx._undo)
        finally:
            tx._undo = None

    # ---- inspection (tests) ------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """A copy of every table, for assertions in tests."""
        return copy.deepcopy(
            {
                "users": list(self._t.users.values()),
                "accounts": list(self._t.accounts.values()),
                "sessions": list(self._t.sessions.values()),
                "verification_tokens": list(self._t.tokens.values()),
                "passwords": dict(self._t.passwords),
                "two_factor": list(self._t.two_factor.values()),
                "recovery_codes": {k: sorted(v) for k, v in self._t.recovery_codes.items()},
                "authenticators": list(self._t.authenticators.values()),
            }
        )
