"""The example's views: public home, protected pages (function, class, async), custom sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import View

from authgate.integrations.django import (
    SessionRequiredMixin,
    aget_session,
    get_session,
    session_required,
)
from examples.shared import sign_in_message

if TYPE_CHECKING:
    from django.http import HttpRequest


def _page(request: HttpRequest, template: str, **context: object) -> HttpResponse:
    prefix = request.META.get("SCRIPT_NAME", "")
    return render(request, template, {"prefix": prefix, "framework": "Django", **context})


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "home.html", session=get_session(request))


@session_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return _page(request, "dashboard.html", session=request.auth_session)  # type: ignore[attr-defined]


class AccountView(SessionRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _page(request, "dashboard.html", session=get_session(request))


@session_required
async def async_dashboard(request: HttpRequest) -> HttpResponse:
    session = await aget_session(request)
    return HttpResponse(f"async: {session['user']['name'] if session else ''}")


@session_required
def me(request: HttpRequest) -> JsonResponse:
    return JsonResponse(dict(get_session(request) or {}))


def custom_sign_in(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "signin.html",
        callback_url=request.GET.get("callbackUrl"),
        message=sign_in_message(request.GET.get("error")),
    )


def favicon(request: HttpRequest) -> HttpResponse:  # the built-in pages have none
    return HttpResponse(status=204)


def bare(request: HttpRequest) -> JsonResponse:  # the framework's own cost, for bench/
    return JsonResponse({"ok": True})
