"""``gunicorn -w 2 examples.django_project.wsgi`` (set ``AUTH_SECRET`` and ``AUTH_URL``)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_project.settings")
application = get_wsgi_application()
