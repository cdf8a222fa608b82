"""Beyond the example project: an async class-based view behind ``SessionRequiredMixin``, a
middleware that reads ``request.body`` before the auth views (as logging middleware does), and
async views signing out and updating the session on the server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpResponse, JsonResponse
from django.urls import include, path
from django.views import View

from authgate.integrations.django import (
    SessionRequiredMixin,
    aget_session,
    asign_out,
    aupdate_session,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest


class AsyncAccountView(SessionRequiredMixin, View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        session = await aget_session(request)
        return HttpResponse(f"async account: {session['user']['name'] if session else ''}")


def body_reading_middleware(
    get_response: Callable[[HttpRequest], Any],
) -> Callable[[HttpRequest], Any]:
    """Reads the body first: the auth views then find it in memory, not in the stream."""

    def middleware(request: HttpRequest) -> Any:
        _ = request.body
        return get_response(request)

    return middleware


urlpatterns = [
    path("api/auth/", include("authgate.integrations.django.urls_async")),
    path("async-account", AsyncAccountView.as_view()),
]


async def async_rename(request: HttpRequest) -> JsonResponse:
    """``aupdate_session`` in an async view: the session it answers, and the new name."""
    session = await aupdate_session(request, {"name": "Grace"})
    after = await aget_session(request)
    return JsonResponse({"session": session, "after": after["user"]["name"] if after else None})


async def async_sign_out(request: HttpRequest) -> JsonResponse:
    """``asign_out`` in an async view; the request's session is then ``None``."""
    await asign_out(request)
    return JsonResponse({"after": await aget_session(request)})


urlpatterns += [
    path("async-rename", async_rename),
    path("async-signout", async_sign_out),
]
