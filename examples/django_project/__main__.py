"""``python -m examples.django_project``: migrate, create the demo user, ``runserver`` :8000."""

from __future__ import annotations

from django.core.management import execute_from_command_line

from examples.django_project.setup import setup
from examples.shared import DEMO_PASSWORD, DEMO_USERNAME

if __name__ == "__main__":
    setup()
    print(f"\n  username: {DEMO_USERNAME}\n  password: {DEMO_PASSWORD}\n", flush=True)
    execute_from_command_line(["manage.py", "runserver", "127.0.0.1:8000", "--noreload"])
