"""The example's gate: Django's own users sign in through ``DjangoCredentials``."""

from __future__ import annotations

import os

from authgate import AuthGate
from authgate.integrations.django.credentials import DjangoCredentials
from examples.shared import auth_config

gate = AuthGate(
    auth_config(
        custom_sign_in=os.environ.get("AUTHGATE_CUSTOM_SIGNIN") == "1",
        providers=[DjangoCredentials()],
    )
)
