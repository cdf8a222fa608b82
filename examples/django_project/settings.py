"""Settings of the Django example (``DJANGO_SETTINGS_MODULE=examples.django_project.settings``).

Environment: ``AUTH_SECRET``, ``AUTH_URL`` (the gate), ``AUTHGATE_DJANGO_DB`` (the SQLite file
with Django's users), ``AUTHGATE_SCRIPT_NAME`` (serve under a prefix: ``FORCE_SCRIPT_NAME``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

HERE = Path(__file__).parent
TEMPLATES_SHARED = HERE.parent / "shared" / "templates"

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(40)
DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
FORCE_SCRIPT_NAME = os.environ.get("AUTHGATE_SCRIPT_NAME") or None

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "authgate.integrations.django",
]
# Django's usual stack around authgate's middleware: none of it touches authgate's cookies.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "authgate.integrations.django.middleware.AuthGateMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "examples.django_project.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Its own sign-in page first; the pages it shares with the Flask example after.
        "DIRS": [HERE / "templates", TEMPLATES_SHARED],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("AUTHGATE_DJANGO_DB", str(HERE / "db.sqlite3")),
    }
}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# authgate: the gate is built on first use from this dotted path.
AUTHGATE = "examples.django_project.auth.gate"
