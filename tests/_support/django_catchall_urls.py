"""Every path to the auth views: the engine answers what is not under its base path."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("", include("authgate.integrations.django.urls"))]
