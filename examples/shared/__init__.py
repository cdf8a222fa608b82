"""What the Flask, Django and Litestar examples share: the demo user and the gate's settings.

Each example reads ``AUTH_SECRET`` and ``AUTH_URL`` from the environment (a random secret and
``http://127.0.0.1:8000/api/auth`` otherwise) so several server processes (gunicorn workers)
agree on both.
"""

from __future__ import annotations

import functools
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authgate import AuthConfig, PagesConfig, Theme
from authgate.passwords import hash_password, verify_password
from authgate.providers import Credentials

if TYPE_CHECKING:
    from collections.abc import Mapping

    from authgate import AuthRequest
    from authgate.providers import Provider

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERNAME",
    "SIGN_IN_MESSAGES",
    "TEMPLATES",
    "auth_config",
    "demo_credentials",
    "sign_in_message",
]

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password-123"  # a published demo account
DEMO_USER = {"id": "1", "name": "Demo User", "email": "demo@example.com"}
TEMPLATES = Path(__file__).parent / "templates"
SIGN_IN_MESSAGES = {
    "CredentialsSignin": "Sign in failed. Check the details you provided are correct.",
    "SessionRequired": "Please sign in to access this page.",
}


@functools.cache
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)


def _authorize(credentials: Mapping[str, Any], request: AuthRequest) -> dict[str, Any] | None:
    username = credentials.get("username")
    known = _demo_hash() if username == DEMO_USERNAME else None
    return dict(DEMO_USER) if verify_password(known, credentials.get("password")) else None


def demo_credentials() -> Credentials:
    """The demo's Credentials provider: one user, an argon2id hash, equal work for strangers."""
    return Credentials(
        authorize=_authorize,
        credentials={
            "username": {"label": "Username", "type": "text", "autocomplete": "username"},
            "password": {"label": "Password", "type": "password"},
        },
    )


def auth_config(
    *,
    custom_sign_in: bool = False,
    providers: list[Provider] | None = None,
    url: str | None = None,
    secret: str | None = None,
) -> AuthConfig:
    """The examples' configuration (``custom_sign_in``: ``/auth/signin`` is *the* sign-in page).

    ``url`` and ``secret`` default to ``AUTH_URL`` and ``AUTH_SECRET``.
    """
    return AuthConfig(
        providers=providers or [demo_credentials()],
        secret=secret or os.environ.get("AUTH_SECRET") or secrets.token_urlsafe(32),
        url=url or os.environ.get("AUTH_URL", "http://127.0.0.1:8000/api/auth"),
        pages=PagesConfig(sign_in="/auth/signin" if custom_sign_in else None),
        theme=Theme(brand_color="#c2410c"),
    )


def sign_in_message(error: str | None) -> str | None:
    """The message for a ``?error=`` code (the code itself is never echoed)."""
    return None if not error else SIGN_IN_MESSAGES.get(error, "Unable to sign in.")
