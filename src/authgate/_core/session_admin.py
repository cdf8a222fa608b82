"""Ending sessions from Python (admins, "sign out everywhere", a password change) and health.

JWT sessions end through the revocation store (``AuthConfig(revocation=...)``); database
sessions are deleted through the adapter, listed through its optional
:class:`~authgate.adapters.SessionListing` capability. A database session is named by a digest
of its token, never by the token itself (the token is the credential).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from authgate._core.jwt_session import revocation_ttl
from authgate.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from authgate._core.options import InternalOptions
    from authgate.adapters import AdapterSession, SessionDevices, SessionListing

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """One live database session: ``id`` (for ``gate.end_session``) and when it expires.

    With ``SessionConfig(devices=True)`` also when it began (``created``), when it was last
    used (``last_seen``, to within ``update_age``), the browser's ``user_agent`` and the
    client's network (``ip_prefix``: IPv4 /24, IPv6 /48); ``None`` otherwise.
    """

    id: str
    expires: datetime
    created: datetime | None = None
    last_seen: datetime | None = None
    user_agent: str | None = None
    ip_prefix: str | None = None


def session_id_of(token: str) -> str:
    """The public id of a database session: 128 bits of the token's SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _database(options: InternalOptions) -> SessionListing | None:
    adapter = options.adapter
    if options.session_strategy != "database" or adapter is None:
        return None
    if not callable(getattr(adapter, "get_sessions_by_user", None)):
        named = type(getattr(adapter, "wrapped", adapter)).__name__  # not the telemetry wrapper
        raise ConfigurationError(
            f"{named} cannot list a user's sessions: it needs "
            "get_sessions_by_user (authgate.adapters.SessionListing)"
        )
    return cast("SessionListing", adapter)


async def _live(adapter: SessionListing, user_id: str, now: float) -> list[AdapterSession]:
    moment = datetime.fromtimestamp(now, UTC)
    return [s for s in await adapter.get_sessions_by_user(user_id) if s["expires"] > moment]


async def list_user(options: InternalOptions, user_id: str, *, now: float) -> list[SessionInfo]:
    adapter = _database(options)
    if adapter is None:
        return []
    live = await _live(adapter, user_id, now)
    tokens = [s["sessionToken"] for s in live]
    known = (
        await cast("SessionDevices", adapter).get_session_devices(tokens)
        if options.session_devices
        else {}
    )
    listed = []
    for session in live:
        device = known.get(session["sessionToken"])
        info = SessionInfo(session_id_of(session["sessionToken"]), session["expires"])
        if device is not None:
            info = replace(
                info,
                created=device["createdAt"],
                last_seen=device["lastSeen"],
                user_agent=device["userAgent"],
                ip_prefix=device["ipPrefix"],
            )
        listed.append(info)
    return listed


async def end_user(options: InternalOptions, user_id: str, *, now: float) -> None:
    store, adapter = options.revocation, _database(options)
    if store is None and adapter is None:
        raise ConfigurationError(
            "ending JWT sessions needs AuthConfig(revocation=...), e.g. RedisRevocationStore"
        )
    if store is not None:
        await store.end_user(user_id, at=now, ttl=revocation_ttl(options))
    if adapter is not None:
        await _delete(options, await adapter.get_sessions_by_user(user_id))
    logger.info("SESSIONS_ENDED: every session of a user was ended")


async def end_one(options: InternalOptions, user_id: str, session_id: str) -> None:
    adapter = _database(options)
    if adapter is not None:
        sessions = await adapter.get_sessions_by_user(user_id)
        await _delete(
            options, [s for s in sessions if session_id_of(s["sessionToken"]) == session_id]
        )
    elif options.revocation is not None:
        await options.revocation.end_session(user_id, session_id, ttl=revocation_ttl(options))
    else:
        raise ConfigurationError(
            "ending a JWT session needs AuthConfig(revocation=...), e.g. RedisRevocationStore"
        )
    logger.info("SESSION_ENDED: one session of a user was ended")


async def _delete(options: InternalOptions, sessions: list[AdapterSession]) -> None:
    adapter = options.adapter
    assert adapter is not None  # noqa: S101 - only called with database sessions
    for session in sessions:
        await adapter.delete_session(session["sessionToken"])


async def health(options: InternalOptions) -> dict[str, str]:
    report: dict[str, str] = {}
    if options.adapter is not None:
        report["adapter"] = await _probe("adapter", options.adapter.get_user("0"))
    if options.revocation is not None:
        report["revocation"] = await _probe("revocation", options.revocation.ping())
    ping = getattr(options.limiter.backend, "ping", None) if options.limiter else None
    if ping is not None:
        report["rate_limit"] = await _probe("rate_limit", ping())
    return report


async def _probe(name: str, check: Awaitable[object]) -> str:
    try:
        await check
    except Exception as exc:  # noqa: BLE001 - a health check reports, it never raises
        logger.error("HEALTH_CHECK_FAILED: %s (%s)", name, type(exc).__name__)
        return "down"
    return "ok"
