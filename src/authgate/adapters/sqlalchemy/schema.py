"""The tables, as Auth.js's SQL adapters define them (``@auth/pg-adapter``'s ``schema.sql``).

Table and column names are Auth.js's, quoted camelCase included (``"userId"``,
``"providerAccountId"``, ``"sessionToken"``, ``"emailVerified"``), and ids are integers
(``SERIAL``), so a database shared with a Next.js app using Auth.js works unchanged. authgate
adds what makes its queries safe and fast: a unique e-mail, a unique
``(provider, "providerAccountId")``, a unique ``"sessionToken"`` and cascading deletes. On a
database Auth.js created without them everything still works; ``authgate db init`` adds them to
new databases only.

authgate's own optional features keep their data in tables of their own, next to Auth.js's:
``authgate_passwords`` (password accounts), ``authgate_two_factor``,
``authgate_recovery_codes`` and ``authgate_session_methods`` (two-factor: how each database
session was signed in), ``authgate_session_devices`` (``SessionConfig(devices=True)``: where and
when each database session was signed in, and last used).

``metadata`` is plain SQLAlchemy: point Alembic's ``target_metadata`` at it (see
``docs/adapters.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = ["AuthTables", "UTCDateTime", "build_tables", "metadata", "tables"]


class UTCDateTime(TypeDecorator[datetime]):
    """``TIMESTAMPTZ`` on PostgreSQL, naive UTC text on SQLite; always aware UTC in Python."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("authgate stores timezone-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class AuthTables:
    """The tables of one schema: Auth.js's, then authgate's own."""

    metadata: MetaData
    users: Table
    accounts: Table
    sessions: Table
    verification_token: Table
    authenticator: Table
    passwords: Table
    two_factor: Table
    recovery_codes: Table
    session_methods: Table
    session_devices: Table


def _owner(users: str, **options: Any) -> Column[int]:
    """The ``"userId"`` column of a table of authgate's own: its rows go with their user."""
    return Column("userId", Integer, ForeignKey(f"{users}.id", ondelete="CASCADE"), **options)


def build_tables(*, prefix: str = "", schema: str | None = None) -> AuthTables:
    """Tables named ``{prefix}users`` etc. on their own :class:`~sqlalchemy.MetaData`.

    The prefix is for databases where ``users`` is taken; Auth.js's names have none.
    """
    meta = MetaData(schema=schema)
    users = Table(
        f"{prefix}users",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("name", String(255)),
        Column("email", String(255), unique=True),
        Column("emailVerified", UTCDateTime()),
        Column("image", Text),
    )
    qualified_users = f"{schema}.{users.name}" if schema else users.name
    accounts = Table(
        f"{prefix}accounts",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "userId",
            Integer,
            ForeignKey(f"{qualified_users}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("type", String(255), nullable=False),
        Column("provider", String(255), nullable=False),
        Column("providerAccountId", String(255), nullable=False),
        Column("refresh_token", Text),
        Column("access_token", Text),
        Column("expires_at", BigInteger),
        Column("id_token", Text),
        Column("scope", Text),
        Column("session_state", Text),
        Column("token_type", Text),
        UniqueConstraint("provider", "providerAccountId"),
    )
    sessions = Table(
        f"{prefix}sessions",
        meta,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "userId",
            Integer,
            ForeignKey(f"{qualified_users}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("expires", UTCDateTime(), nullable=False),
        Column("sessionToken", String(255), nullable=False, unique=True),
    )
    verification_token = Table(
        f"{prefix}verification_token",
        meta,
        Column("identifier", Text, nullable=False),
        Column("expires", UTCDateTime(), nullable=False),
        Column("token", Text, nullable=False),
        PrimaryKeyConstraint("identifier", "token"),
    )
    # Auth.js's Authenticator (the Drizzle adapter's "authenticator" table); "name" is authgate's
    # nullable label. The counter is a uint32 on the wire: BIGINT holds all of it.
    authenticator = Table(
        f"{prefix}authenticator",
        meta,
        Column("credentialID", Text, nullable=False, unique=True),
        Column(
            "userId",
            Integer,
            ForeignKey(f"{qualified_users}.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        Column("providerAccountId", Text, nullable=False),
        Column("credentialPublicKey", Text, nullable=False),
        Column("counter", BigInteger, nullable=False),
        Column("credentialDeviceType", Text, nullable=False),
        Column("credentialBackedUp", Boolean, nullable=False),
        Column("transports", Text),
        Column("name", Text),
        PrimaryKeyConstraint("userId", "credentialID"),
    )
    passwords = Table(
        f"{prefix}authgate_passwords",
        meta,
        _owner(qualified_users, primary_key=True),
        Column("hash", Text, nullable=False),
        Column("updatedAt", UTCDateTime(), nullable=False),
    )
    # Keyed by the user's id as a string, without a foreign key: a Credentials user who signs
    # in with JWT sessions has no row in "users" (its id is what authorize returned).
    two_factor = Table(
        f"{prefix}authgate_two_factor",
        meta,
        Column("userId", String(255), primary_key=True),
        Column("secret", Text, nullable=False),  # encrypted by authgate, opaque here
        Column("lastStep", BigInteger),
        Column("createdAt", UTCDateTime(), nullable=False),
    )
    recovery_codes = Table(
        f"{prefix}authgate_recovery_codes",
        meta,
        Column("userId", String(255), nullable=False),
        Column("codeHash", String(64), nullable=False),
        PrimaryKeyConstraint("userId", "codeHash"),
    )
    session_methods = Table(
        f"{prefix}authgate_session_methods",
        meta,
        Column("sessionToken", String(255), primary_key=True),
        Column("methods", String(255), nullable=False),  # "pwd otp": how it was signed in
    )
    session_devices = Table(
        f"{prefix}authgate_session_devices",
        meta,
        Column("sessionToken", String(255), primary_key=True),
        Column("createdAt", UTCDateTime(), nullable=False),
        Column("lastSeen", UTCDateTime(), nullable=False),
        Column("userAgent", String(255)),
        Column("ipPrefix", String(64)),
    )
    return AuthTables(
        meta,
        users,
        accounts,
        sessions,
        verification_token,
        authenticator,
        passwords,
        two_factor,
        recovery_codes,
        session_methods,
        session_devices,
    )


tables = build_tables()
"""Auth.js's tables (no prefix, the default schema)."""

metadata = tables.metadata
"""Their :class:`~sqlalchemy.MetaData`: Alembic's ``target_metadata``."""
