"""Database adapters: where users, accounts, database sessions and e-mail tokens are stored.

An adapter is any object with the methods of :class:`Adapter` (next-auth's ``Adapter``
interface, ``adapters.ts``, in Python spelling and always async). authgate ships two:

- :class:`authgate.adapters.memory.MemoryAdapter`: a dict per table, for tests and demos;
- :class:`authgate.adapters.sqlalchemy.SQLAlchemyAdapter`: SQLAlchemy 2 async, SQLite
  (aiosqlite) by default, PostgreSQL (asyncpg) for several app servers; the tables are Auth.js's.

A third-party adapter proves itself with the contract suite in
:mod:`authgate.testing.adapter_contract`.

**Why TypedDicts for the models.** The rows travel as they do in Auth.js: plain objects with
next-auth's key names (``emailVerified``, ``userId``, ``providerAccountId``, ``sessionToken``).
Callbacks already receive ``user`` / ``account`` as mappings (``jwt(token, user, account)``),
a custom adapter may carry extra columns through without subclassing anything, and nothing is
converted on the session hot path. Dates are timezone-aware :class:`~datetime.datetime` in UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, NotRequired, Protocol, TypedDict, runtime_checkable

if TYPE_CHECKING:
    from collections.abc import Sequence
    from contextlib import AbstractAsyncContextManager
    from datetime import datetime

__all__ = [
    "Adapter",
    "AdapterAccount",
    "AdapterAuthenticator",
    "AdapterSession",
    "AdapterUser",
    "AuthenticatorAdapter",
    "NewUser",
    "PasswordStore",
    "SessionDevice",
    "SessionDevices",
    "SessionListing",
    "TwoFactorRecord",
    "TwoFactorStore",
    "UserSessions",
    "UserUpdate",
    "VerificationToken",
]


class NewUser(TypedDict):
    """A user to create (no ``id`` yet)."""

    email: str | None
    emailVerified: datetime | None
    name: NotRequired[str | None]
    image: NotRequired[str | None]


class AdapterUser(TypedDict):
    """A stored user (Auth.js ``AdapterUser``); ``id`` is a string whatever the column type."""

    id: str
    email: str | None
    emailVerified: datetime | None
    name: NotRequired[str | None]
    image: NotRequired[str | None]


class UserUpdate(TypedDict):
    """``update_user``'s argument: the ``id`` and the fields to change."""

    id: str
    email: NotRequired[str | None]
    emailVerified: NotRequired[datetime | None]
    name: NotRequired[str | None]
    image: NotRequired[str | None]


class AdapterAccount(TypedDict):
    """How a user signs in with one provider (Auth.js ``AdapterAccount``, OAuth token fields)."""

    userId: str
    type: Literal["oauth", "oidc", "email", "credentials", "webauthn"]
    provider: str
    providerAccountId: str
    refresh_token: NotRequired[str | None]
    access_token: NotRequired[str | None]
    expires_at: NotRequired[int | None]  # epoch seconds
    token_type: NotRequired[str | None]
    scope: NotRequired[str | None]
    id_token: NotRequired[str | None]
    session_state: NotRequired[str | None]


class AdapterAuthenticator(TypedDict):
    """A passkey / security key (Auth.js ``AdapterAuthenticator``), byte for byte its shape.

    ``credentialID`` and ``credentialPublicKey`` are standard base64 with padding, as
    ``@auth/core`` writes them; ``providerAccountId`` equals ``credentialID`` (the
    ``webauthn`` account linked with it); ``transports`` is comma-separated. ``name`` is
    authgate's (the label its passkeys page lets a user set), ``None`` when unset.
    """

    credentialID: str
    userId: str
    providerAccountId: str
    credentialPublicKey: str
    counter: int
    credentialDeviceType: str
    credentialBackedUp: bool
    transports: str | None
    name: NotRequired[str | None]


class AdapterSession(TypedDict):
    """A database session: the cookie's value, its user and when it ends."""

    sessionToken: str
    userId: str
    expires: datetime


class SessionDevice(TypedDict):
    """Where and when a database session was signed in, and when it was last used.

    ``userAgent`` is the browser's ``User-Agent`` (at most 255 characters); ``ipPrefix`` the
    client's network (IPv4 /24, IPv6 /48), never its address.
    """

    createdAt: datetime
    lastSeen: datetime
    userAgent: str | None
    ipPrefix: str | None


class VerificationToken(TypedDict):
    """An e-mail sign-in token; ``token`` is an HMAC of the link's token, never the token."""

    identifier: str
    token: str
    expires: datetime


@runtime_checkable
class Adapter(Protocol):
    """Storage for users, accounts, database sessions and verification tokens.

    Every method is a coroutine. "Not found" is ``None``, never an exception; any exception
    means the storage failed (authgate logs it and answers with the flow's error code, or "no
    session" when reading one).
    """

    async def create_user(self, user: NewUser) -> AdapterUser:
        """Insert ``user`` and return it with its new ``id``."""
        ...

    async def get_user(self, user_id: str) -> AdapterUser | None:
        """The user with this id."""
        ...

    async def get_user_by_email(self, email: str) -> AdapterUser | None:
        """The user with this (already normalised) e-mail address."""
        ...

    async def get_user_by_account(
        self, provider: str, provider_account_id: str
    ) -> AdapterUser | None:
        """The user who linked this provider account."""
        ...

    async def update_user(self, user: UserUpdate) -> AdapterUser:
        """Change the given fields of ``user["id"]`` and return the whole user."""
        ...

    async def delete_user(self, user_id: str) -> None:
        """Delete the user with its accounts and sessions (not called by authgate itself)."""
        ...

    async def link_account(self, account: AdapterAccount) -> None:
        """Store ``account`` (its ``userId`` exists)."""
        ...

    async def unlink_account(self, provider: str, provider_account_id: str) -> None:
        """Delete this provider account (not called by authgate itself)."""
        ...

    async def create_session(self, session: AdapterSession) -> AdapterSession:
        """Store a new database session."""
        ...

    async def get_session_and_user(
        self, session_token: str
    ) -> tuple[AdapterSession, AdapterUser] | None:
        """The session with this token and its user (expired or not: authgate checks)."""
        ...

    async def update_session(
        self, session_token: str, *, expires: datetime
    ) -> AdapterSession | None:
        """Move the session's expiry; ``None`` when it no longer exists."""
        ...

    async def delete_session(self, session_token: str) -> AdapterSession | None:
        """Delete the session; return it (it goes to ``events.sign_out``) or ``None``."""
        ...

    async def create_verification_token(self, token: VerificationToken) -> VerificationToken:
        """Store an e-mail sign-in token (hashed)."""
        ...

    async def use_verification_token(self, identifier: str, token: str) -> VerificationToken | None:
        """Delete and return the token matching both ``identifier`` and ``token``.

        Single use: of two concurrent calls with the same token at most one gets it back.
        """
        ...

    def transaction(self) -> AbstractAsyncContextManager[Adapter]:
        """An adapter whose writes all commit at the end of the block, or none of them.

        authgate runs multi-step writes (create a user, link its account, open its session)
        inside one, so a failure midway leaves nothing half-written.
        """
        ...


# ---- optional capabilities ---------------------------------------------------------------
# Each is a separate Protocol, checked when the gate is built and only when the feature that
# needs it is configured: an adapter without them keeps working for everything else.


@runtime_checkable
class PasswordStore(Protocol):
    """Password hashes of password accounts (``authgate.providers.Password``).

    Kept in a table of their own (``authgate_passwords``), one row per user; Auth.js's tables
    are unchanged. Hashes are argon2id PHC strings; the store never sees a password.
    """

    async def get_password_hash(self, user_id: str) -> str | None:
        """The user's password hash, or ``None`` when the user has none."""
        ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        """Store (insert or replace) the user's password hash."""
        ...


@runtime_checkable
class UserSessions(Protocol):
    """Ending every database session of one user (after a password reset or change)."""

    async def delete_user_sessions(self, user_id: str, *, keep: str | None = None) -> int:
        """Delete the user's sessions except the one whose token is ``keep``; how many went."""
        ...


class TwoFactorRecord(TypedDict):
    """A user's enrolled second factor (TOTP).

    ``userId`` is the user's id as a string: the adapter's, or for Credentials users with JWT
    sessions what ``authorize`` returned as ``id`` (they need not be in the users table).

    ``secret`` is the TOTP secret **encrypted** by authgate (AES-256-GCM under a key derived
    from the auth secret): the adapter stores an opaque string. ``lastStep`` is the RFC 6238
    time step of the last accepted code (replay protection), ``None`` before the first.
    """

    userId: str
    secret: str
    lastStep: int | None
    createdAt: datetime


@runtime_checkable
class TwoFactorStore(Protocol):
    """Second factors: the TOTP secret and the hashed single-use recovery codes of a user."""

    async def get_two_factor(self, user_id: str) -> TwoFactorRecord | None:
        """The user's enrolled factor, or ``None``."""
        ...

    async def enable_two_factor(self, record: TwoFactorRecord, recovery_codes: list[str]) -> None:
        """Store the factor and its recovery code hashes, replacing any earlier ones."""
        ...

    async def disable_two_factor(self, user_id: str) -> None:
        """Delete the user's factor and recovery codes."""
        ...

    async def use_totp_step(self, user_id: str, step: int) -> bool:
        """Record ``step`` as used if it is later than ``lastStep``; ``False`` otherwise.

        Atomic: of two concurrent calls with the same step at most one gets ``True`` (a code is
        never accepted twice).
        """
        ...

    async def use_recovery_code(self, user_id: str, code_hash: str) -> bool:
        """Delete this recovery code hash of the user; ``True`` only for the call that did."""
        ...

    async def replace_recovery_codes(self, user_id: str, recovery_codes: list[str]) -> None:
        """Replace all of the user's recovery code hashes."""
        ...

    async def count_recovery_codes(self, user_id: str) -> int:
        """How many unused recovery codes the user has left."""
        ...

    async def set_session_methods(self, session_token: str, methods: list[str]) -> None:
        """Record how a database session was signed in (``["pwd", "otp"]``)."""
        ...

    async def get_session_methods(self, session_token: str) -> list[str] | None:
        """What :meth:`set_session_methods` recorded for the session, or ``None``."""
        ...


@runtime_checkable
class AuthenticatorAdapter(Protocol):
    """The optional capability the ``Passkey`` provider needs: WebAuthn credentials.

    An adapter without these methods works for everything else; configuring a ``Passkey``
    provider with it is a :class:`~authgate.errors.ConfigurationError` when the gate is built.
    """

    async def create_authenticator(
        self, authenticator: AdapterAuthenticator
    ) -> AdapterAuthenticator:
        """Store a new credential; a ``credentialID`` that exists already must raise."""
        ...

    async def get_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        """The credential with this ``credentialID``."""
        ...

    async def list_authenticators_by_user_id(self, user_id: str) -> list[AdapterAuthenticator]:
        """Every credential of this user, in an order that does not change between calls."""
        ...

    async def update_authenticator_counter(
        self, credential_id: str, counter: int
    ) -> AdapterAuthenticator:
        """Store the new signature counter; raise :class:`LookupError` when it is gone."""
        ...

    async def rename_authenticator(
        self, credential_id: str, name: str | None
    ) -> AdapterAuthenticator | None:
        """Set the credential's label; ``None`` when it does not exist."""
        ...

    async def delete_authenticator(self, credential_id: str) -> AdapterAuthenticator | None:
        """Delete the credential and return it, or ``None`` when it did not exist."""
        ...


@runtime_checkable
class SessionListing(Protocol):
    """An adapter that can list a user's database sessions (for "end a session" pages and APIs).

    Optional: ``gate.list_sessions`` / ``gate.end_session`` / ``gate.end_sessions`` need it with
    database sessions; everything else works without it.
    """

    async def get_sessions_by_user(self, user_id: str) -> list[AdapterSession]:
        """Every stored session of ``user_id`` (expired ones too: authgate filters)."""
        ...


@runtime_checkable
class SessionDevices(Protocol):
    """An adapter that records each database session's device (``SessionConfig(devices=True)``).

    Optional. Deleting a session (``delete_session``, ``delete_user_sessions``) deletes its record.
    """

    async def set_session_device(self, session_token: str, device: SessionDevice) -> None:
        """Record the device of a new session."""
        ...

    async def touch_session_device(self, session_token: str, last_seen: datetime) -> None:
        """Move the session's ``lastSeen`` (no record: nothing happens)."""
        ...

    async def get_session_devices(self, session_tokens: Sequence[str]) -> dict[str, SessionDevice]:
        """The records of those of ``session_tokens`` that have one."""
        ...
