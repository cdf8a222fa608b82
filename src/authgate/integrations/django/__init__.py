"""Django: the auth API as URL patterns, a lazy session on the request, protected views.

Settings::

    INSTALLED_APPS += ["authgate.integrations.django"]          # template tags
    MIDDLEWARE += ["authgate.integrations.django.middleware.AuthGateMiddleware"]
    AUTHGATE = "myproject.auth.gate"        # an AuthGate, AuthConfig, dict, or dotted path

URLs::

    path("api/auth/", include("authgate.integrations.django.urls"))        # WSGI
    path("api/auth/", include("authgate.integrations.django.urls_async"))  # ASGI

Views: ``@session_required`` / ``SessionRequiredMixin``, ``get_session(request)``,
``await aget_session(request)``; server-side ``sign_out(request)`` /
``update_session(request, data)`` (``asign_out`` / ``aupdate_session`` in async views).
"""

from __future__ import annotations

from authgate.integrations.django._session import (
    aget_session,
    asign_out,
    aupdate_session,
    get_session,
    sign_out,
    update_session,
)
from authgate.integrations.django.conf import get_gate
from authgate.integrations.django.decorators import SessionRequiredMixin, session_required

__all__ = [
    "SessionRequiredMixin",
    "aget_session",
    "asign_out",
    "aupdate_session",
    "get_gate",
    "get_session",
    "session_required",
    "sign_out",
    "update_session",
]
