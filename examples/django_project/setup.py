"""Create the example's database and its demo user (idempotent)."""

from __future__ import annotations

import os

import django

from examples.shared import DEMO_PASSWORD, DEMO_USERNAME


def setup() -> None:
    """``migrate`` and a ``demo`` Django user with the published demo password."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "examples.django_project.settings")
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not User.objects.filter(username=DEMO_USERNAME).exists():
        User.objects.create_user(
            DEMO_USERNAME, "demo@example.com", DEMO_PASSWORD, first_name="Demo", last_name="User"
        )
