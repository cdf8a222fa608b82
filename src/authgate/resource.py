"""Resource-server mode: read the sessions a Next.js app (next-auth v4 or Auth.js v5) issued.

An API that does not serve the auth routes only needs the shared secret::

    reader = NextAuthSession(secret=os.environ["AUTH_SECRET"], profile="authjs-v5")
    claims = reader.read(request)  # an AuthRequest; None when there is no valid session

The token is read from the session cookie (chunked or not, ``__Secure-`` prefixed or not) or,
failing that, from ``Authorization: Bearer <token>``, exactly as next-auth's ``getToken`` does.
See ``docs/nextjs.md`` for deployments (same-site cookies, or forwarding from Next.js).

A Next.js app with **database sessions** on a database authgate can read (Auth.js's tables,
e.g. ``SQLAlchemyAdapter``) needs no secret: the cookie holds the session token, looked up
with ``getSessionAndUser``::

    reader = NextAuthSession(adapter=SQLAlchemyAdapter("postgresql://app@db/app"))
    found = await reader.read_database(request)  # (session, user), or None
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from authgate._core import session_reader
from authgate._crypto.remembered import DEFAULT_REMEMBERED
from authgate.errors import ConfigurationError, MissingSecretError
from authgate.jwt import JWTCodec, session_cookie_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from authgate.adapters import Adapter, AdapterSession, AdapterUser
    from authgate.config import Profile
    from authgate.http import AuthRequest
    from authgate.types import JWT

__all__ = ["NextAuthSession"]

logger = logging.getLogger("authgate")


class NextAuthSession:
    """Decodes the session token of a request issued by next-auth v4 or Auth.js v5.

    Args:
        secret: The Next.js app's ``NEXTAUTH_SECRET`` / ``AUTH_SECRET``, or several for
            rotation (any decodes). Defaults to ``AUTH_SECRET`` / ``NEXTAUTH_SECRET``.
        profile: ``"nextauth-v4"`` (``next-auth.session-token``, A256GCM) or ``"authjs-v5"``
            (``authjs.session-token``, A256CBC-HS512 salted with the cookie name).
        secure_cookie: ``True``: only the ``__Secure-`` cookie; ``False``: only the plain one;
            ``None`` (default): either (the secure one first).
        cookie_name: A custom session cookie name (``cookies.sessionToken.name`` in Next.js);
            replaces the default names.
        bearer: Also accept ``Authorization: Bearer <token>`` when there is no cookie.
        env: Where to read the secret from (default ``os.environ``).
        adapter: The Next.js app's database (an :class:`~authgate.adapters.Adapter` on its
            tables) when it uses database sessions: :meth:`read_database` looks the cookie's
            token up there. No secret is needed then (:meth:`read` needs one).
        required_claims: Claims a session token must carry (not ``null``); default ``sub``,
            which next-auth's default token always has. ``()`` accepts any session-shaped
            token; a payload shaped like an OAuth check cookie (``{value, ...}``) is never one.

    Raises:
        MissingSecretError: No secret was given or found in the environment (and no adapter).
    """

    __slots__ = ("_adapter", "_codecs", "_database", "_names", "_required", "_source")

    def __init__(
        self,
        *,
        secret: str | Sequence[str] | None = None,
        profile: Profile = "nextauth-v4",
        secure_cookie: bool | None = None,
        cookie_name: str | None = None,
        bearer: bool = True,
        env: Mapping[str, str] | None = None,
        adapter: Adapter | None = None,
        required_claims: Sequence[str] = ("sub",),
    ) -> None:
        env = os.environ if env is None else env
        secret = secret or env.get("AUTH_SECRET") or env.get("NEXTAUTH_SECRET")
        self._adapter = adapter
        if not secret and adapter is None:
            raise MissingSecretError(
                "NextAuthSession needs the Next.js app's secret: secret=... or AUTH_SECRET"
            )
        if profile not in ("nextauth-v4", "authjs-v5"):
            raise ConfigurationError(
                f"NextAuthSession(profile={profile!r}): use 'nextauth-v4' or 'authjs-v5'"
            )
        if cookie_name is not None:
            names = [cookie_name]
        elif secure_cookie is None:
            names = [session_cookie_name(profile, secure=s) for s in (True, False)]
        else:
            names = [session_cookie_name(profile, secure=secure_cookie)]
        self._names = tuple(names)
        try:
            # v5 salts the key with the cookie name, so each name has its own codec.
            self._codecs = (
                {
                    name: JWTCodec(
                        secret,
                        salt=name if profile == "authjs-v5" else "",
                        profile=profile,
                        remember=DEFAULT_REMEMBERED,
                    )
                    for name in names
                }
                if secret
                else {}
            )
        except ValueError as exc:
            raise ConfigurationError(f"NextAuthSession: {exc}") from exc
        v5 = profile == "authjs-v5"  # @auth/core's SessionStore skips empty values
        self._source = session_reader.TokenSource(self._names, skip_empty=v5, bearer=bearer)
        self._database = session_reader.TokenSource(
            self._names, chunked=False, max_length=session_reader.MAX_DATABASE_TOKEN
        )
        if isinstance(required_claims, str):
            raise ConfigurationError("NextAuthSession(required_claims=...) takes a list of names")
        self._required = tuple(required_claims)

    @property
    def cookie_names(self) -> tuple[str, ...]:
        """The session cookie names read, in order."""
        return self._names

    async def read_database(
        self, request: AuthRequest, *, now: float | None = None
    ) -> tuple[AdapterSession, AdapterUser] | None:
        """The database session of the request's cookie and its user, or ``None``.

        Fails closed: no adapter, no cookie, an unknown or expired session, or a failing
        database is ``None`` (the failure is logged). Nothing is written: an expired row is
        left for the Next.js app (or ``authgate db prune``) to delete.
        """
        if self._adapter is None:
            raise ConfigurationError("NextAuthSession.read_database needs adapter=...")
        moment = datetime.fromtimestamp(time.time() if now is None else now, UTC)
        found = session_reader.find_token(request.cookies, request.headers, self._database)
        if found is None:
            return None
        try:
            stored = await self._adapter.get_session_and_user(found[1])
        except Exception as exc:  # noqa: BLE001 - a failing database is no session
            logger.error("SESSION_ERROR: the adapter failed (%s)", type(exc).__name__)
            return None
        if stored is None or stored[0]["expires"] <= moment:
            return None
        return stored

    def read(self, request: AuthRequest, *, now: float | None = None) -> JWT | None:
        """The claims of the request's session token, or ``None``. Never raises for a bad token.

        A token that decrypts but is not shaped like a session (an OAuth check cookie, or one
        without the ``required_claims``) is ``None`` too.
        """
        if not self._codecs:
            raise ConfigurationError("NextAuthSession.read needs the secret (JWT sessions)")
        moment = time.time() if now is None else now
        found = session_reader.find_token(request.cookies, request.headers, self._source)
        if found is None:
            return None
        where, raw = found
        # A cookie is decoded with its own codec; a bearer token with any (v5 salts by name).
        codecs = self._codecs.values() if where == session_reader.BEARER else [self._codecs[where]]
        for codec in codecs:
            claims = session_reader.decode(codec, raw, moment)
            if claims is not None:
                if session_reader.claims_shape(claims, self._required):
                    return claims
                logger.info("JWT_SESSION_ERROR: the token is not a session token")
                return None
        return None
