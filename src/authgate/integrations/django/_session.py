"""The session of a Django request: read once, sync (bridge) or async (the server's loop).

Also the server-side sign-out and session update (``sign_out`` / ``update_session`` and their
async twins): their cookies wait on the request until ``AuthGateMiddleware`` puts them on the
response, and the request's session is then the new one.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseRedirect, JsonResponse
from django.utils.functional import SimpleLazyObject

from authgate.integrations._protect import SESSION_REQUIRED, sign_in_url
from authgate.integrations._sync import run_engine, run_sync
from authgate.integrations.django._adapt import auth_request
from authgate.integrations.django.conf import api_prefixes, get_gate

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from authgate.http import Cookie
    from authgate.types import Session

__all__ = [
    "PENDING_COOKIES",
    "aget_session",
    "asign_out",
    "aupdate_session",
    "get_session",
    "pending_cookies",
    "refuse",
    "sign_out",
    "update_session",
]

PENDING_COOKIES = "_authgate_cookies"
"""Request attribute holding cookies for the response (set by ``AuthGateMiddleware``)."""

_ATTR = "_authgate_session"
_MISSING = object()


def get_session(request: HttpRequest) -> Session | None:
    """The session of ``request``, or ``None`` (read once, then cached on the request)."""
    cached = getattr(request, _ATTR, _MISSING)
    if cached is _MISSING:
        cached = run_engine(get_gate().get_session(auth_request(request)))
        setattr(request, _ATTR, cached)
    return cast("Session | None", cached)


async def aget_session(request: HttpRequest) -> Session | None:
    """:func:`get_session` for async views: runs on the server's own event loop."""
    cached = getattr(request, _ATTR, _MISSING)
    if cached is _MISSING:
        cached = await get_gate().get_session(auth_request(request))
        setattr(request, _ATTR, cached)
    return cast("Session | None", cached)


def pending_cookies(request: HttpRequest, what: str) -> list[Cookie]:
    """The cookies ``AuthGateMiddleware`` will set on the response of ``request``.

    Raises:
        ImproperlyConfigured: Without the middleware nobody would set them (``what`` names
            the caller in the message): fail before anything is changed.
    """
    if not hasattr(request, "aauth_session"):
        raise ImproperlyConfigured(f"{what} needs authgate's AuthGateMiddleware in MIDDLEWARE")
    pending: list[Cookie] | None = getattr(request, PENDING_COOKIES, None)
    if pending is None:
        pending = []
        setattr(request, PENDING_COOKIES, pending)
    return pending


def _settle(request: HttpRequest, cookies: list[Cookie], session: Session | None) -> None:
    getattr(request, PENDING_COOKIES).extend(cookies)
    setattr(request, _ATTR, session)  # get_session now answers what the response carries
    request.auth_session = SimpleLazyObject(partial(get_session, request))  # type: ignore[attr-defined]


def sign_out(request: HttpRequest) -> None:
    """End the session of ``request`` on the server (:meth:`AuthGate.sign_out`).

    The database session is deleted (or the JWT revoked, when revocation is configured) and
    the response clears the session cookies. Call it only from a request you have authorised
    (a POST behind Django's CSRF protection): no auth CSRF token is checked.

    Raises:
        ImproperlyConfigured: ``AuthGateMiddleware`` is not installed.
        AuthGateError: The adapter failed to delete the session.
    """
    pending_cookies(request, "sign_out()")
    _settle(request, run_sync(get_gate().sign_out(auth_request(request))), None)


async def asign_out(request: HttpRequest) -> None:
    """:func:`sign_out` for async views (on the server's loop)."""
    pending_cookies(request, "asign_out()")
    _settle(request, await get_gate().sign_out(auth_request(request)), None)


def update_session(request: HttpRequest, data: Any) -> Session | None:
    """Update the session of ``request`` with ``data``, as next-auth's ``update(data)``.

    The ``jwt`` and ``session`` callbacks run with ``trigger="update"``; the response carries
    the re-issued cookie. Returns the new session (``None`` without one).

    Raises:
        ImproperlyConfigured: ``AuthGateMiddleware`` is not installed.
    """
    pending_cookies(request, "update_session()")
    updated = run_sync(get_gate().update_session(auth_request(request), data))
    _settle(request, updated.cookies, updated.session)
    return updated.session


async def aupdate_session(request: HttpRequest, data: Any) -> Session | None:
    """:func:`update_session` for async views (on the server's loop)."""
    pending_cookies(request, "aupdate_session()")
    updated = await get_gate().update_session(auth_request(request), data)
    _settle(request, updated.cookies, updated.session)
    return updated.session


def refuse(request: HttpRequest) -> HttpResponse:
    """No session: ``401`` JSON on API paths, else a redirect to sign-in with ``callbackUrl``."""
    if api_prefixes().match(request.path_info):
        return JsonResponse(SESSION_REQUIRED, status=401)
    return HttpResponseRedirect(sign_in_url(get_gate(), request.get_full_path()))
