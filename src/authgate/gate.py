"""AuthGate: validates the configuration once and answers requests to the auth API."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from authgate import _core
from authgate._core import csrf_token, server_session, session_admin, session_reader
from authgate._core import options as internal_options
from authgate._core.actions.providers import provider_map
from authgate._core.origin import Location, locate
from authgate._core.routing import outside
from authgate._core.two_factor import signed_in

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from authgate._core.cookies import CookieSet
    from authgate.config import AuthConfig
    from authgate.http import AuthRequest, AuthResponse, Cookie
    from authgate.types import JWT, Session

__all__ = ["AuthGate", "CsrfToken", "SessionUpdate"]

logger = logging.getLogger("authgate")


@dataclass(frozen=True, slots=True)
class CsrfToken:
    """A CSRF token for a custom form, and the cookie to set when the browser has none yet."""

    token: str
    cookies: list[Cookie] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """The result of :meth:`AuthGate.update_session`: the new session and the cookies to set."""

    session: Session | None
    cookies: list[Cookie] = field(default_factory=list)


def _now(now: float | None) -> float:
    return time.time() if now is None else now


class AuthGate:
    """The auth API for one configuration.

    Build it once at start-up (an invalid configuration raises
    :class:`~authgate.errors.ConfigurationError` here), then mount it with an integration
    (``authgate.integrations.asgi.AuthApp``) or call :meth:`handle` directly.

    Args:
        config: The configuration.
        env: Environment variables to read ``AUTH_SECRET`` / ``AUTH_URL`` etc. from
            (default ``os.environ``).
    """

    def __init__(self, config: AuthConfig, *, env: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._options = internal_options.build(config, env)
        self._mount_reported = False

    @property
    def config(self) -> AuthConfig:
        """The configuration this gate was built from."""
        return self._config

    @property
    def base_path(self) -> str:
        """The path the API answers under, e.g. ``/api/auth``."""
        return self._options.base_path

    async def handle(self, request: AuthRequest, *, now: float | None = None) -> AuthResponse:
        """Answer a request to the auth API (its path must be under :attr:`base_path`)."""
        response = await _core.handle(request, self._options, now=now)
        if (
            response.status == 404
            and not self._mount_reported
            and outside(request.path, self.base_path)
        ):
            self._report_mount(request.path)
        return response

    def _report_mount(self, path: str) -> None:
        # Every request outside the base path is a bare 404: say why, once per gate.
        self._mount_reported = True
        logger.error(
            "MOUNT_MISMATCH: a request for %r reached authgate, which answers only under its "
            "base path %r (from AuthConfig(url=...) / base_path=...), so it got a 404. Mount "
            "the API where the configuration says: app.mount(auth.base_path, AuthApp(auth)), "
            "or make url/base_path match the mount point",
            path[:200],
            self.base_path,
        )

    def _location(self, request: AuthRequest) -> Location | None:
        return locate(request, self._options)

    def session_cookie_name(self, request: AuthRequest) -> str:
        """The name of the session cookie for this request (``__Secure-`` prefixed on https)."""
        return self._cookies(request).session_token.name

    def _cookies(self, request: AuthRequest) -> CookieSet:
        return self._options.cookies(session_reader.secure_cookies(self._options, request))

    def get_token(self, request: AuthRequest, *, now: float | None = None) -> JWT | None:
        """The decoded session token of ``request``, or ``None`` (never raises).

        Always ``None`` with database sessions (the cookie holds an opaque token).
        """
        if self._options.session_strategy == "database":
            return None
        name = self.session_cookie_name(request)
        found = session_reader.find_token(
            request.cookies, {}, session_reader.source_of(self._options, name)
        )
        if found is None:
            return None
        return session_reader.decode(self._options.session_codec(name), found[1], now)

    async def get_session(
        self, request: AuthRequest, *, now: float | None = None
    ) -> Session | None:
        """The session of ``request`` as ``GET /session`` would return it, or ``None``.

        The entry point of every integration (ASGI, and any framework that converts its request
        to an :class:`~authgate.http.AuthRequest`): it reads through
        :mod:`authgate._core.session_reader`. Runs the ``jwt`` and ``session`` callbacks but
        does not re-issue the cookie. Fails closed: any error means ``None`` (and is logged).
        """
        secure = session_reader.secure_cookies(self._options, request)
        return await self._read_session(request.cookies, secure, now)

    def _session_of_cookies(
        self, cookies: Mapping[str, str], request: Callable[[], AuthRequest]
    ) -> Awaitable[Session | None]:
        """:meth:`get_session` for an integration that has parsed the request's cookies.

        ``request`` builds the whole request, only when the cookie names depend on it (no
        configured URL, no ``use_secure_cookies``) or when :meth:`get_session` is replaced (a
        subclass, or a test patching the instance). Returns the read's coroutine.
        """
        if type(self).get_session is not AuthGate.get_session or "get_session" in self.__dict__:
            return self.get_session(request())
        options = self._options
        if options.use_secure_cookies is not None:
            secure = options.use_secure_cookies
        elif options.fixed_url is not None:
            secure = options.fixed_url.secure
        else:
            secure = session_reader.secure_cookies(options, request())
        return self._read_session(cookies, secure, None)

    async def _read_session(
        self, cookies: Mapping[str, str], secure: bool, now: float | None
    ) -> Session | None:
        moment = time.time() if now is None else now
        options = self._options
        cookies_of = options.cookies_secure if secure else options.cookies_plain
        name = cookies_of.session_token.name
        telemetry = options.telemetry
        started = time.perf_counter() if telemetry is not None else 0.0
        found = await session_reader.read(options, cookies, name, moment)
        if telemetry is not None:
            telemetry.session_read(options.session_strategy, found, started)
        return await session_reader.session_of(options, found, moment)  # type: ignore[no-any-return]

    async def end_sessions(self, user_id: str, *, now: float | None = None) -> None:
        """End every session of ``user_id`` now: "sign out everywhere", or after a password change.

        JWT sessions are refused from their next read on, by every worker sharing the
        revocation store; database sessions are deleted. A sign-in after this call is not
        affected. Raises :class:`~authgate.revocation.RevocationUnavailableError` when the
        store cannot be reached (nothing is ended: try again), and
        :class:`~authgate.errors.ConfigurationError` when nothing could end a session.
        """
        await session_admin.end_user(self._options, str(user_id), now=_now(now))

    async def end_session(self, user_id: str, session_id: str) -> None:
        """End one session ("this device"): its ``sid`` claim, or a database session's id.

        ``session_id`` comes from :meth:`list_sessions` (database sessions) or the ``sid``
        claim of the device's token (``gate.get_token(request)["sid"]``).
        """
        await session_admin.end_one(self._options, str(user_id), session_id)

    async def list_sessions(
        self, user_id: str, *, now: float | None = None
    ) -> list[session_admin.SessionInfo]:
        """The live database sessions of ``user_id`` (JWT sessions are held by nobody: ``[]``).

        With ``SessionConfig(devices=True)`` each carries its device: ``created``,
        ``last_seen``, ``user_agent``, ``ip_prefix``.
        """
        return await session_admin.list_user(self._options, str(user_id), now=_now(now))

    async def health(self) -> dict[str, str]:
        """Whether the adapter and the shared stores answer: ``{"adapter": "ok", ...}``.

        Each configured component (``adapter``, ``revocation``, a Redis ``rate_limit``) is
        ``"ok"`` or ``"down"`` (the exception's type is logged, never its message); components
        that are not configured are left out. Never raises.
        """
        return await session_admin.health(self._options)

    async def get_sign_in_methods(
        self, request: AuthRequest, *, now: float | None = None
    ) -> list[str] | None:
        """How the session of ``request`` was signed in (``["pwd", "otp"]``), or ``None``.

        ``None`` when there is no live session. The methods are recorded with
        ``AuthConfig(two_factor=...)``; without it a session has none (``[]``).
        """
        moment = time.time() if now is None else now
        signed = await signed_in.read(
            self._options, self.session_cookie_name(request), request.cookies, moment
        )
        return None if signed is None else list(signed.methods)

    async def has_second_factor(self, request: AuthRequest, *, now: float | None = None) -> bool:
        """Whether the session of ``request`` proved a second factor (``require_two_factor``)."""
        methods = await self.get_sign_in_methods(request, now=now)
        return methods is not None and signed_in.has_second_factor(methods)

    def get_providers(self, request: AuthRequest | None = None) -> dict[str, dict[str, str]]:
        """The ``/providers`` map (``id``, ``name``, ``type``, ``signinUrl``, ``callbackUrl``).

        With a request, URLs are built from it when the configuration has no ``url``.
        """
        location = self._location(request) if request is not None else None
        if location is None:
            fixed = self._options.fixed_url
            base = (fixed.origin if fixed else "") + self._options.base_path
        else:
            base = location.url
        return provider_map(base, self._options.providers)

    def get_csrf_token(self, request: AuthRequest) -> CsrfToken:
        """The CSRF token for a custom sign-in form, as next-auth's ``getCsrfToken(context)``.

        Set the returned cookies on the page's response: a form posting the token then passes
        the double-submit check of ``signin/:provider`` and ``callback/credentials``.
        """
        cookies = self._cookies(request)
        name = cookies.csrf_token.name
        current = None if name in request.duplicate_cookies else request.cookies.get(name)
        token = csrf_token.trusted_token(current, self._options.csrf_key)
        if token is not None:
            return CsrfToken(token)
        token, value = csrf_token.mint(self._options.csrf_key)
        return CsrfToken(token, [cookies.csrf_token.make(value)])

    async def sign_out(self, request: AuthRequest, *, now: float | None = None) -> list[Cookie]:
        """End the session of ``request`` on the server, as ``POST /signout`` does.

        With database sessions the row is deleted; ``events.sign_out`` fires. Returns the
        cookies that clear the session: set them on the response you send. No CSRF token is
        needed (your code asks, not the browser), so call it only from a request you have
        already authorised, e.g. a CSRF-protected form of your own.

        Raises:
            AuthGateError: The adapter failed to delete the session (it may still be alive).
        """
        return await server_session.sign_out(request, self._options, now)

    async def update_session(
        self, request: AuthRequest, data: object, *, now: float | None = None
    ) -> SessionUpdate:
        """Update the session of ``request`` with ``data``, as ``POST /session`` does.

        The ``jwt`` and ``session`` callbacks run with ``trigger="update"`` and ``session=data``
        (next-auth's ``update(data)``). The result holds the new session (``None`` when there
        is none) and the cookies to set on the response you send.
        """
        session, cookies = await server_session.update(request, self._options, data, now)
        return SessionUpdate(session, cookies)
