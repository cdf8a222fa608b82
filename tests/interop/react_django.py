"""Django settings and URLs of the react-client test app (``DJANGO_SETTINGS_MODULE``)."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from examples.django_project import settings as example_settings

from interop.react_apps import PAGE, bundle, make_gate

SECRET_KEY = "react-django-secret-0123456789abcdefghijklmnop"
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = ["authgate.integrations.django"]
MIDDLEWARE = example_settings.MIDDLEWARE  # Django's usual stack around AuthGateMiddleware
ROOT_URLCONF = __name__
DATABASES: dict[str, object] = {}
AUTHGATE = make_gate(os.environ["REACT_ORIGIN"])


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


def client(request: HttpRequest) -> HttpResponse:
    return HttpResponse(bundle(), content_type="text/javascript")


urlpatterns = [
    path("api/auth/", include("authgate.integrations.django.urls")),
    path("", page),
    path("client.js", client),
]
