"""``AuthGateMiddleware``: a lazy session on every request, and the CSRF cookie of custom pages.

Adds ``request.auth_session`` (read on first use through the sync bridge; falsy when signed
out — use :func:`~authgate.integrations.django.get_session` for an ``is None`` test) and
``await request.aauth_session()`` for async views. Works in both sync and async stacks.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.functional import SimpleLazyObject

from authgate.integrations.django._adapt import add_cookies
from authgate.integrations.django._session import PENDING_COOKIES, aget_session, get_session

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from django.http import HttpRequest, HttpResponse

__all__ = ["PENDING_COOKIES", "AuthGateMiddleware"]


class AuthGateMiddleware:
    """Put the session on the request; set the cookies the helpers asked for.

    Those of the template tags (the CSRF cookie), ``sign_out`` and ``update_session``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        """Attach the lazy session, call the view, add pending cookies."""
        request.auth_session = SimpleLazyObject(partial(get_session, request))  # type: ignore[attr-defined]
        request.aauth_session = partial(aget_session, request)  # type: ignore[attr-defined]
        if self.async_mode:
            return self._acall(request)
        return _finish(request, self.get_response(request))

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        response = await self.get_response(request)  # type: ignore[misc]
        return _finish(request, response)


def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    add_cookies(response, getattr(request, PENDING_COOKIES, []))
    return response
