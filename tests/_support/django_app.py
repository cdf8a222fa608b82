"""Django for in-process tests: settings configured once, a WSGI handler per gate.

The settings mirror a usual project: Django's CSRF middleware (the auth views must be exempt)
and ``AuthGateMiddleware``; the pages are the example project's. Users live in a SQLite file
(``DjangoCredentials`` authenticates in a worker thread: an in-memory database is per thread).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.test.utils import override_settings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from authgate import AuthGate

from _support.components import REPO_ROOT

if str(REPO_ROOT) not in sys.path:  # the example project's views and templates
    sys.path.insert(0, str(REPO_ROOT))

EXAMPLE = REPO_ROOT / "examples"
_DB_DIR = tempfile.TemporaryDirectory(prefix="authgate-django-")
PAGES_URLCONF = "examples.django_project.urls"
ASYNC_PAGES_URLCONF = "_support.django_async_urls"
CATCH_ALL_URLCONF = "_support.django_catchall_urls"
EXTRA_URLCONF = "_support.django_extra_urls"


def configure() -> None:
    """Configure Django once per test process (idempotent)."""
    if settings.configured:
        return
    settings.configure(
        DEBUG=False,
        SECRET_KEY="django-test-secret-0123456789abcdefghijklmnop",
        ALLOWED_HOSTS=["localhost", "127.0.0.1", "testserver"],
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "authgate.integrations.django",
        ],
        MIDDLEWARE=[
            "django.middleware.csrf.CsrfViewMiddleware",
            "authgate.integrations.django.middleware.AuthGateMiddleware",
        ],
        ROOT_URLCONF=PAGES_URLCONF,
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [
                    EXAMPLE / "django_project" / "templates",
                    EXAMPLE / "shared" / "templates",
                ],
                "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
            }
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": str(Path(_DB_DIR.name) / "users.sqlite3"),
            }
        },
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],  # fast, tests only
        USE_TZ=True,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()


def wsgi_handler_for(
    gate: AuthGate, *, urlconf: str = CATCH_ALL_URLCONF, **overrides: Any
) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """Django's WSGI handler answering with ``gate`` (``settings.AUTHGATE``) and ``urlconf``."""
    configure()
    with override_settings(**overrides):  # the handler loads MIDDLEWARE when it is built
        handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with override_settings(AUTHGATE=gate, ROOT_URLCONF=urlconf, **overrides):
            return handler(environ, start_response)

    return app
