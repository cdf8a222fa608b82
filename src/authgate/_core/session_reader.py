"""Request → session: the one place a session is read.

Every reader goes through here: ``AuthGate.get_session`` (and so every framework integration)
and the ``/session`` route (:func:`read`, then :func:`session_of` or the route's re-issue);
sign-out, account linking and sign-in's "previous session" (``jwt_session.read``,
``db_session.read_token``), the resource-server mode (``authgate.resource``) and
``authgate.jwt.get_token`` locate the token with :func:`find_token`. The steps:

1. which cookie (:func:`secure_cookies` picks the ``__Secure-`` name or the plain one);
2. where the token is (:func:`find_token`: the cookie, its chunks joined, empty values skipped
   where the profile says so, a length cap for database tokens, then ``Authorization: Bearer``);
3. decode it (JWT strategy) or look it up (database strategy, :mod:`authgate._core.db_session`);
4. :func:`admit`: the single hook between "the token is valid" and "this is a session". A
   revocation check plugs in there, for both strategies.

Nothing here writes a cookie: the ``/session`` route re-issues, the server helpers do not.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from authgate._core.loop_needed import needs_loop
from authgate._core.origin import locate
from authgate.errors import TokenError
from authgate.revocation import MemoryRevocationStore, RevocationUnavailableError, session_ref

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate._core.options import InternalOptions
    from authgate._core.origin import Location
    from authgate.adapters import AdapterSession, AdapterUser
    from authgate.http import AuthRequest
    from authgate.jwt import JWTCodec
    from authgate.types import JWT

__all__ = [
    "BEARER",
    "MAX_DATABASE_TOKEN",
    "SessionRead",
    "TokenSource",
    "admit",
    "bearer_token",
    "claims_shape",
    "decode",
    "find_token",
    "join_chunks",
    "read",
    "secure_cookies",
    "session_of",
    "source_of",
]

logger = logging.getLogger("authgate")

MAX_DATABASE_TOKEN = 255
"""Longest database session token read (Auth.js's ``sessionToken`` column is VARCHAR(255))."""

BEARER = "authorization"
"""The :attr:`SessionRead.source` of a token taken from ``Authorization: Bearer``."""


@dataclass(frozen=True, slots=True)
class TokenSource:
    """Where a request carries its session token.

    Attributes:
        names: The session cookie names, tried in order (the first one present wins).
        skip_empty: Ignore cookies with an empty value (Auth.js v5's ``SessionStore``).
        chunked: Join ``name.0``, ``name.1``, ... (JWT sessions); database tokens are one cookie.
        bearer: Fall back to ``Authorization: Bearer <token>`` (next-auth's ``getToken``).
        max_length: Longer tokens are no token (database tokens: :data:`MAX_DATABASE_TOKEN`).
    """

    names: tuple[str, ...]
    skip_empty: bool = False
    chunked: bool = True
    bearer: bool = False
    max_length: int | None = None


def join_chunks(cookies: Mapping[str, str], name: str, *, skip_empty: bool = False) -> str | None:
    """The cookie ``name``, or its chunks ``name.0``, ``name.1``, ... joined (next-auth chunking).

    Chunks win over the plain cookie, as in next-auth's ``SessionStore``. ``None`` when absent
    or empty.
    """
    prefix = name + "."
    for key in cookies:
        if key.startswith(prefix):
            break
    else:  # the common case: no chunks
        return cookies.get(name) or None
    chunks = sorted(
        (int(key[len(prefix) :]), value)
        for key, value in cookies.items()
        if key.startswith(prefix)
        and key[len(prefix) :].isdigit()
        and len(key) - len(prefix) <= 3
        and (value or not skip_empty)
    )
    if chunks:  # rare: only a token above ~4 KB is chunked
        return "".join(value for _, value in chunks) or None
    return cookies.get(name) or None


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, percent-decoded.

    next-auth 4.24.15 decodes it; malformed percent-encoding means no token.
    """
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    try:
        return unquote(value, errors="strict") or None
    except UnicodeDecodeError:
        return None


def find_token(
    cookies: Mapping[str, str], headers: Mapping[str, str], source: TokenSource
) -> tuple[str, str] | None:
    """``(where, token)``: the cookie name it came from (or :data:`BEARER`) and the raw token.

    The first cookie name that carries a value wins, even if the token turns out invalid:
    like next-auth, a bad cookie is not replaced by the next name or the bearer header.
    """
    found: tuple[str, str] | None = None
    for name in source.names:
        raw = (
            join_chunks(cookies, name, skip_empty=source.skip_empty)
            if source.chunked
            else cookies.get(name) or None
        )
        if raw is not None:
            found = name, raw
            break
    else:
        raw = bearer_token(headers.get("authorization")) if source.bearer else None
        if raw is not None:
            found = BEARER, raw
    if found is not None and source.max_length is not None and len(found[1]) > source.max_length:
        return None
    return found


def secure_cookies(
    options: InternalOptions, request: AuthRequest, location: Location | None = None
) -> bool:
    """Whether this request uses the ``__Secure-`` cookie names.

    ``use_secure_cookies`` wins; then the configured URL's scheme; then the request's location
    (trusted forwarded headers), else the scheme the server saw.
    """
    if options.use_secure_cookies is not None:
        return options.use_secure_cookies
    if options.fixed_url is not None:
        return options.fixed_url.secure
    if location is not None:
        return location.secure
    found = locate(request, options)
    return found.secure if found is not None else request.scheme == "https"


def decode(codec: JWTCodec, raw: str, now: float | None) -> JWT | None:
    """The claims of ``raw``, or ``None`` (logged) when it does not decode or has expired."""
    try:
        return codec.decode(raw, now=now)
    except TokenError as exc:
        logger.info("JWT_SESSION_ERROR: session token rejected (%s)", exc)
        return None


@dataclass(slots=True)
class SessionRead:
    """What a request carries.

    Attributes:
        token: The raw token (``None``: the request has no session cookie at all).
        source: The cookie name the token came from (or :data:`BEARER`).
        claims: JWT strategy: the decoded claims of a valid token.
        stored: Database strategy: the live session row and its user.
        unavailable: The adapter or the revocation store failed; the cookie must be kept.
    """

    token: str | None = None
    source: str | None = None
    claims: JWT | None = None
    stored: tuple[AdapterSession, AdapterUser] | None = None
    unavailable: bool = False

    @property
    def valid(self) -> bool:
        """Whether there is a session (claims or a stored row)."""
        return self.claims is not None or self.stored is not None


def source_of(options: InternalOptions, cookie_name: str) -> TokenSource:
    """How ``options``' strategy and profile read the session cookie ``cookie_name``."""
    return _source(
        options.session_strategy == "database", options.profile.skip_empty_cookies, cookie_name
    )


@functools.lru_cache(maxsize=64)
def _source(database: bool, skip_empty: bool, cookie_name: str) -> TokenSource:
    # A pure memo: the same few sources are built on every request.
    return TokenSource(
        (cookie_name,),
        skip_empty=skip_empty,
        chunked=not database,
        max_length=MAX_DATABASE_TOKEN if database else None,
    )


async def read(
    options: InternalOptions,
    cookies: Mapping[str, str],
    cookie_name: str,
    now: float,
) -> SessionRead:
    """The session in the cookie ``cookie_name`` of a request: decoded or looked up, admitted.

    Never raises: a token that does not decode is ``token`` set and no ``claims``; a failing
    database is ``unavailable``.
    """
    if options.session_strategy == "database":
        return await _read_stored(options, cookies, cookie_name, now)
    # JWT sessions, every request: find_token() and decode() of this source, inline.
    prefix = cookie_name + "."
    for key in cookies:
        if key.startswith(prefix):  # rare: chunks (a token above ~4 KB)
            raw = join_chunks(cookies, cookie_name, skip_empty=options.profile.skip_empty_cookies)
            break
    else:
        raw = cookies.get(cookie_name) or None
    if raw is None:
        return SessionRead()
    try:
        claims = options.codecs[cookie_name].decode(raw, now=now)
    except TokenError as exc:
        logger.info("JWT_SESSION_ERROR: session token rejected (%s)", exc)
        return SessionRead(raw, cookie_name)
    result = SessionRead(raw, cookie_name, claims)
    if options.revocation is not None and not await admit(options, result, now):
        result.claims = None
    return result


async def _read_stored(
    options: InternalOptions, cookies: Mapping[str, str], cookie_name: str, now: float
) -> SessionRead:
    found = find_token(cookies, {}, source_of(options, cookie_name))
    if found is None:
        return SessionRead()
    where, raw = found
    result = SessionRead(token=raw, source=where)
    from authgate._core import db_session  # late: it imports this module

    await needs_loop()  # the adapter: I/O
    try:
        result.stored = await db_session.lookup(options, raw, now)
    except db_session.DatabaseDownError:
        result.unavailable = True
        return result
    if (
        options.revocation is not None  # admit() has nothing to ask otherwise
        and result.stored is not None
        and not await admit(options, result, now)
    ):
        result.stored = None
    return result


@functools.lru_cache(maxsize=4)
def _utc_second(second: int) -> str:
    # A pure memo: /session formats "now + max_age" on every call, and the second rarely changes.
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


_MILLISECONDS = tuple(f".{n:03d}Z" for n in range(1000))  # formatted once, not per call


def iso(timestamp: float) -> str:
    """JavaScript's ``Date#toISOString``: milliseconds and a ``Z``."""
    second, millisecond = divmod(int(timestamp * 1000), 1000)
    return _utc_second(second) + _MILLISECONDS[millisecond]


def session_user(token: Mapping[str, Any]) -> dict[str, Any]:
    # Unrolled: it runs on every session check. Absent claims stay absent (v4 drops undefined).
    user: dict[str, Any] = {}
    if "name" in token:
        user["name"] = token["name"]
    if "email" in token:
        user["email"] = token["email"]
    if "picture" in token:
        user["image"] = token["picture"]
    return user


def default_session(options: InternalOptions, claims: JWT, now: float) -> dict[str, Any]:
    """The session before any callback: v4 takes ``user`` from the decoded token."""
    return {"user": session_user(claims), "expires": iso(now + options.session_max_age)}


async def session_of(options: InternalOptions, found: SessionRead, now: float) -> Any:
    """The server helpers' answer: the session body (callbacks run), or ``None``.

    Nothing is re-issued. Fails closed: a callback that raises is logged and ``None``.
    """
    claims = found.claims
    if claims is not None and options.jwt_callback is None and options.session_callback is None:
        return default_session(options, claims, now)  # the common case: no callbacks
    from authgate._core import db_session, jwt_session  # late: they import this

    try:
        if found.stored is not None:
            return await db_session.derive(options, *found.stored)
        if claims is None:
            return None
        derived = await jwt_session.derive(options, claims, now=now)
    except Exception:
        logger.exception("SESSION_ERROR: no session (a jwt/session callback failed)")
        return None
    return None if derived is None else derived[0]


async def admit(options: InternalOptions, found: SessionRead, now: float) -> bool:
    """The last step of every read: is this valid token still a session?

    JWT sessions are checked against the revocation store (``AuthConfig(revocation=...)``):
    an ended session is ``False`` and every reader (``/session``, ``get_session``, the
    integrations) treats the request as signed out; a store that cannot answer is ``False``
    with ``unavailable`` set, so the cookie is kept. Database sessions end by deleting the row.
    """
    del now
    store = options.revocation
    if store is None or found.claims is None:
        return True
    ref = session_ref(found.claims)
    if ref is None:
        return True
    if type(store) is not MemoryRevocationStore:  # this process's dict needs no loop
        await needs_loop()
    try:
        return not await store.is_ended(ref.user_id, ref.session_id, ref.started)
    except RevocationUnavailableError:
        logger.error("SESSION_ERROR: the revocation store is unavailable; no session")
        found.unavailable = True
        return False


def claims_shape(claims: Mapping[str, Any], required: tuple[str, ...]) -> bool:
    """Whether ``claims`` look like a session token and not another next-auth JWT.

    next-auth seals its OAuth check cookies (state, PKCE verifier, nonce) with the same
    ``encode``: ``{value, iat, exp, jti}`` (Auth.js v5 adds ``provider``). Before next-auth
    4.24.5 they used the session key, so they decrypt as a session (CVE-2023-48309). Such a
    payload is never a session; otherwise every ``required`` claim must be present and not
    ``null``.
    """
    if "value" in claims and set(claims) <= _CHECK_COOKIE_CLAIMS:
        return False
    return all(claims.get(name) is not None for name in required)


_CHECK_COOKIE_CLAIMS = frozenset({"value", "provider", "iat", "exp", "nbf", "jti"})
