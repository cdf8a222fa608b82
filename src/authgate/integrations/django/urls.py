"""``path("api/auth/", include("authgate.integrations.django.urls"))`` (sync views, WSGI).

Under ASGI include ``authgate.integrations.django.urls_async`` instead. The prefix must be the
gate's base path (without ``SCRIPT_NAME``).
"""

from __future__ import annotations

from django.urls import re_path

from authgate.integrations.django.views import auth_view

app_name = "authgate"
urlpatterns = [re_path(r"^(?P<rest>.*)$", auth_view, name="api")]
