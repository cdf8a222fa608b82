"""Sign in existing Django users: a Credentials provider backed by Django's auth backends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import authenticate
from django.db import connections

from authgate.providers.credentials import Credentials

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from authgate.http import AuthRequest

__all__ = ["DjangoCredentials", "user_to_dict"]

FIELDS = {
    "username": {"label": "Username", "type": "text", "autocomplete": "username"},
    "password": {"label": "Password", "type": "password", "autocomplete": "current-password"},
}


def user_to_dict(user: Any) -> dict[str, Any]:
    """The authgate user of a Django user: ``id`` (the primary key), ``name``, ``email``."""
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {
        "id": str(user.pk),
        "name": name or user.get_username(),
        "email": getattr(user, "email", None) or None,
    }


def DjangoCredentials(  # noqa: N802 - reads like the provider classes
    *,
    to_user: Callable[[Any], Mapping[str, Any]] = user_to_dict,
    credentials: Mapping[str, Mapping[str, Any]] = FIELDS,
    **options: Any,
) -> Credentials:
    """A Credentials provider checking ``username``/``password`` with ``authenticate()``.

    Every configured ``AUTHENTICATION_BACKENDS`` applies (inactive users are refused by the
    default backend). ``authenticate`` runs in a worker thread (it is synchronous and touches
    the database); that thread's connections are closed afterwards.

    Args:
        to_user: Builds the session's user from the Django user.
        credentials: The form fields of the built-in sign-in page.
        **options: Further :class:`~authgate.providers.Credentials` arguments (``id``, ``name``).
    """

    def authorize(submitted: dict[str, Any], request: AuthRequest) -> Mapping[str, Any] | None:
        username, password = submitted.get("username"), submitted.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return None
        try:
            user = authenticate(None, username=username, password=password)
            return None if user is None else to_user(user)
        finally:
            connections.close_all()

    return Credentials(authorize=authorize, credentials=credentials, **options)
