"""The example's views: public home, protected pages (function, class, async), custom sign-in."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views import View
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST

from authgate.integrations.django import (
    SessionRequiredMixin,
    aget_session,
    get_session,
    session_required,
    sign_out,
    update_session,
)
from examples.shared import sign_in_message

if TYPE_CHECKING:
    from django.http import HttpRequest


def _page(request: HttpRequest, template: str, **context: object) -> HttpResponse:
    prefix = request.META.get("SCRIPT_NAME", "")
    return render(request, template, {"prefix": prefix, "framework": "Django", **context})


@ensure_csrf_cookie  # the csrftoken cookie a script sends back as X-CSRFToken
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
    if request.method == "POST":  # {"name": ...}: the jwt callback's trigger "update"
        try:
            data = json.loads(request.body)
        except ValueError:
            return JsonResponse({"error": "invalid JSON"}, status=400)
        return JsonResponse(dict(update_session(request, data) or {}))
    return JsonResponse(dict(get_session(request) or {}))


@require_POST  # behind Django's CSRF check: a form of this site, not a link
def sign_out_view(request: HttpRequest) -> HttpResponseRedirect:
    sign_out(request)  # the session ends on the server; the response clears the cookies
    return HttpResponseRedirect(request.META.get("SCRIPT_NAME", "") + "/")


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
