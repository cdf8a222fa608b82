"""``path("api/auth/", include("authgate.integrations.django.urls_async"))`` (ASGI)."""

from __future__ import annotations

from django.urls import re_path

from authgate.integrations.django.views import async_auth_view

app_name = "authgate"
urlpatterns = [re_path(r"^(?P<rest>.*)$", async_auth_view, name="api")]
