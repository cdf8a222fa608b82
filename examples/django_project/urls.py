"""The example's URLs: the auth API under ``api/auth/`` (async views when served by ASGI)."""

from __future__ import annotations

import os

from django.urls import include, path

from examples.django_project import views

api = "urls_async" if os.environ.get("AUTHGATE_DJANGO_ASYNC") == "1" else "urls"

urlpatterns = [
    path("api/auth/", include(f"authgate.integrations.django.{api}")),
    path("", views.home),
    path("dashboard", views.dashboard),
    path("account", views.AccountView.as_view()),
    path("async-dashboard", views.async_dashboard),
    path("api/me", views.me),
    path("signout", views.sign_out_view),
    path("auth/signin", views.custom_sign_in),
    path("favicon.ico", views.favicon),
    path("bare", views.bare),
]
