"""The gate of a Django project, from ``settings.AUTHGATE``.

``AUTHGATE`` may be an :class:`~authgate.AuthGate`, an :class:`~authgate.AuthConfig`, a mapping
of ``AuthConfig`` arguments, or the dotted path of any of these (``"myproject.auth.gate"``).
It is read once and cached; changing the setting in a test (``override_settings``) resets it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from authgate.config import AuthConfig
from authgate.gate import AuthGate
from authgate.integrations.asgi import PathPrefixes

__all__ = ["API_PREFIXES", "get_gate"]

API_PREFIXES = ("/api/",)
"""Default ``settings.AUTHGATE_API_PREFIXES``: protected paths answered with 401 JSON."""

_lock = threading.Lock()
_gate: AuthGate | None = None


def _build(value: Any) -> AuthGate:
    if isinstance(value, str):
        value = import_string(value)
    if isinstance(value, AuthGate):
        return value
    if isinstance(value, AuthConfig):
        return AuthGate(value)
    if isinstance(value, Mapping):
        return AuthGate(AuthConfig(**value))
    raise ImproperlyConfigured(
        "settings.AUTHGATE must be an AuthGate, an AuthConfig, a mapping of AuthConfig "
        f"arguments or a dotted path to one, not {type(value).__name__}"
    )


def get_gate() -> AuthGate:
    """The project's gate (built from ``settings.AUTHGATE`` on first use).

    Raises:
        ImproperlyConfigured: When ``AUTHGATE`` is missing or of the wrong type (fails closed).
    """
    global _gate
    gate = _gate
    if gate is None:
        with _lock:
            if _gate is None:
                value = getattr(settings, "AUTHGATE", None)
                if value is None:
                    raise ImproperlyConfigured("settings.AUTHGATE is not set")
                _gate = _build(value)
            gate = _gate
    return gate


def api_prefixes() -> PathPrefixes:
    """Path prefixes (as routed, without ``SCRIPT_NAME``) answered with 401 JSON."""
    return PathPrefixes(getattr(settings, "AUTHGATE_API_PREFIXES", API_PREFIXES))


def _reset(*, setting: str, **_: Any) -> None:
    global _gate
    if setting == "AUTHGATE":
        with _lock:
            _gate = None


setting_changed.connect(_reset)
