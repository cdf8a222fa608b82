"""``uvicorn examples.django_project.asgi:application``: async auth views on the server's loop."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from authgate.integrations.django.asgi import AuthBodyLimit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_project.settings")
os.environ.setdefault("AUTHGATE_DJANGO_ASYNC", "1")
# Bodies above the auth API's limit are refused before Django reads them (it buffers whole bodies).
application = AuthBodyLimit(get_asgi_application())
