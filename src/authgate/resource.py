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
from urllib.parse import unquote

from authgate.errors import ConfigurationError, MissingSecretError, TokenError
from authgate.jwt import JWTCodec, read_chunked_cookie, session_cookie_name

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from authgate.adapters import Adapter, AdapterSession, AdapterUser
    from authgate.config import Profile
    from authgate.http import AuthRequest
    from authgate.types import JWT

__all__ = ["NextAuthSession"]

logger = logging.getLogger("authgate")
MAX_SESSION_TOKEN = 255  # Auth.js's "sessionToken" column


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

    Raises:
        MissingSecretError: No secret was given or found in the environment (and no adapter).
    """

    __slots__ = ("_adapter", "_bearer", "_codecs", "_names", "_profile")

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
                        secret, salt=name if profile == "authjs-v5" else "", profile=profile
                    )
                    for name in names
                }
                if secret
                else {}
            )
        except ValueError as exc:
            raise ConfigurationError(f"NextAuthSession: {exc}") from exc
        self._profile = profile
        self._bearer = bearer

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
        cookies = request.cookies
        token = next((cookies[n] for n in self._names if cookies.get(n)), None)
        if token is None or len(token) > MAX_SESSION_TOKEN:
            return None
        try:
            found = await self._adapter.get_session_and_user(token)
        except Exception as exc:  # noqa: BLE001 - a failing database is no session
            logger.error("SESSION_ERROR: the adapter failed (%s)", type(exc).__name__)
            return None
        if found is None or found[0]["expires"] <= moment:
            return None
        return found

    def read(self, request: AuthRequest, *, now: float | None = None) -> JWT | None:
        """The claims of the request's session token, or ``None``. Never raises for a bad token."""
        if not self._codecs:
            raise ConfigurationError("NextAuthSession.read needs the secret (JWT sessions)")
        moment = time.time() if now is None else now
        cookies = request.cookies
        if self._profile == "authjs-v5":  # @auth/core's SessionStore skips empty values
            cookies = {k: v for k, v in cookies.items() if v}
        for name, codec in self._codecs.items():
            raw = read_chunked_cookie(cookies, name)
            if raw:
                return self._decode(codec, raw, moment)
        if not self._bearer:
            return None
        raw = _bearer_token(request.headers.get("authorization", ""))
        if raw is None:
            return None
        for codec in self._codecs.values():
            claims = self._decode(codec, raw, moment)
            if claims is not None:
                return claims
        return None

    @staticmethod
    def _decode(codec: JWTCodec, raw: str, now: float) -> JWT | None:
        try:
            return codec.decode(raw, now=now)
        except TokenError:
            return None


def _bearer_token(authorization: str) -> str | None:
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    try:
        # next-auth 4.24.15: percent-decoded; malformed encoding means no token.
        return unquote(value.strip(), errors="strict")
    except UnicodeDecodeError:
        return None
