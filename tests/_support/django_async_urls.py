"""The example project's pages with the async auth views (what ``asgi.py`` selects)."""

from __future__ import annotations

from django.urls import include, path
from examples.django_project.urls import urlpatterns as example_patterns

urlpatterns = [
    path("api/auth/", include("authgate.integrations.django.urls_async")),
    *example_patterns[1:],
]
