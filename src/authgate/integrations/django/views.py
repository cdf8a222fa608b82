"""The auth API as Django views: sync for WSGI, async for ASGI (``urls`` / ``urls_async``).

Both are exempt from Django's CSRF middleware: the API checks its own double-submit token and
the request origin. Under ASGI, Django has read the whole body before the async view runs:
:class:`~authgate.integrations.django.asgi.AuthBodyLimit` in front of the handler refuses
oversized bodies first (the view warns once per process when it is missing).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.views.decorators.csrf import csrf_exempt

from authgate.integrations._sync import run_engine
from authgate.integrations.django._adapt import auth_request, django_response, read_request_body
from authgate.integrations.django.asgi import LIMITED
from authgate.integrations.django.conf import get_gate

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

__all__ = ["async_auth_view", "auth_view"]

logger = logging.getLogger("authgate")
_warned: list[bool] = []


@csrf_exempt
def auth_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer a request to the auth API (blocks on the sync bridge)."""
    body = read_request_body(request)
    if not isinstance(body, bytes):
        return django_response(body)
    return django_response(run_engine(get_gate().handle(auth_request(request, body))))


@csrf_exempt
async def async_auth_view(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer a request to the auth API on the ASGI server's event loop."""
    scope = getattr(request, "scope", None)
    if scope is not None and LIMITED not in scope and not _warned:
        _warned.append(True)
        logger.warning(
            "DJANGO_ASGI_BODY_LIMIT: Django read the whole request body before the auth view; "
            "wrap the ASGI application in authgate.integrations.django.asgi.AuthBodyLimit so "
            "oversized bodies are refused before they are read"
        )
    body = read_request_body(request)
    if not isinstance(body, bytes):
        return django_response(body)
    return django_response(await get_gate().handle(auth_request(request, body)))
