"""The Django app (for ``{% load authgate %}``): add it to ``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig

__all__ = ["AuthGateConfig"]


class AuthGateConfig(AppConfig):
    """``"authgate.integrations.django"`` in ``INSTALLED_APPS``."""

    name = "authgate.integrations.django"
    label = "authgate"
    verbose_name = "authgate"
