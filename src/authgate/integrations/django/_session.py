"""The session of a Django request: read once, sync (bridge) or async (the server's loop)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.http import HttpResponseRedirect, JsonResponse

from authgate.integrations._protect import SESSION_REQUIRED, sign_in_url
from authgate.integrations._sync import run_sync
from authgate.integrations.django._adapt import auth_request
from authgate.integrations.django.conf import api_prefixes, get_gate

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from authgate.types import Session

__all__ = ["aget_session", "get_session", "refuse"]

_ATTR = "_authgate_session"
_MISSING = object()


def get_session(request: HttpRequest) -> Session | None:
    """The session of ``request``, or ``None`` (read once, then cached on the request)."""
    cached = getattr(request, _ATTR, _MISSING)
    if cached is _MISSING:
        cached = run_sync(get_gate().get_session(auth_request(request)))
        setattr(request, _ATTR, cached)
    return cast("Session | None", cached)


async def aget_session(request: HttpRequest) -> Session | None:
    """:func:`get_session` for async views: runs on the server's own event loop."""
    cached = getattr(request, _ATTR, _MISSING)
    if cached is _MISSING:
        cached = await get_gate().get_session(auth_request(request))
        setattr(request, _ATTR, cached)
    return cast("Session | None", cached)


def refuse(request: HttpRequest) -> HttpResponse:
    """No session: ``401`` JSON on API paths, else a redirect to sign-in with ``callbackUrl``."""
    if api_prefixes().match(request.path_info):
        return JsonResponse(SESSION_REQUIRED, status=401)
    return HttpResponseRedirect(sign_in_url(get_gate(), request.get_full_path()))
