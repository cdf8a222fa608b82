"""Template helpers for custom pages: ``{% load authgate %}``.

``{% authgate_csrf_token %}``, ``{% authgate_providers as providers %}`` and
``{% authgate_session as session %}``.

They need the request in the context (``django.template.context_processors.request``) and
``AuthGateMiddleware`` (it sets the CSRF cookie on the response).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import template

from authgate.integrations.django._adapt import auth_request
from authgate.integrations.django._session import get_session, pending_cookies
from authgate.integrations.django.conf import get_gate

if TYPE_CHECKING:
    from authgate.types import Session

register = template.Library()


@register.simple_tag(takes_context=True)
def authgate_csrf_token(context: dict[str, Any]) -> str:
    """The CSRF token for a form posting to the auth API (its cookie is set by the middleware)."""
    request = context["request"]
    pending = pending_cookies(request, "{% authgate_csrf_token %}")  # fails loudly without it
    token: str | None = getattr(request, "_authgate_csrf", None)
    if token is None:
        csrf = get_gate().get_csrf_token(auth_request(request))
        pending.extend(csrf.cookies)
        token = request._authgate_csrf = csrf.token
    return token


@register.simple_tag(takes_context=True)
def authgate_providers(context: dict[str, Any]) -> list[dict[str, str]]:
    """The configured providers (``id``, ``name``, ``type``, ``signinUrl``, ``callbackUrl``)."""
    return list(get_gate().get_providers(auth_request(context["request"])).values())


@register.simple_tag(takes_context=True)
def authgate_session(context: dict[str, Any]) -> Session | None:
    """The session of the request, or ``None``."""
    return get_session(context["request"])
