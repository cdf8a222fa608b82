"""Map a request path under the base path to an action and an optional provider id."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    PROVIDERS = "providers"
    SESSION = "session"
    CSRF = "csrf"
    SIGNIN = "signin"
    SIGNOUT = "signout"
    CALLBACK = "callback"
    VERIFY_REQUEST = "verify-request"
    ERROR = "error"
    LOG = "_log"
    # authgate: password accounts (authgate.providers.Password)
    SIGNUP = "signup"
    VERIFY_EMAIL = "verify-email"
    FORGOT_PASSWORD = "forgot-password"
    RESET_PASSWORD = "reset-password"
    CHANGE_PASSWORD = "change-password"
    # authgate: two-factor sign-in (AuthConfig(two_factor=...))
    TWO_FACTOR = "two-factor"
    TWO_FACTOR_SETUP = "two-factor-setup"
    WEBAUTHN_OPTIONS = "webauthn-options"
    PASSKEYS = "passkeys"  # authgate: the signed-in user's passkeys page
    SESSIONS = "sessions"  # authgate: the signed-in user's sessions page
    WEBAUTHN_SCRIPT = "webauthn.js"  # authgate: the built-in pages' only script


_ACTIONS = {a.value: a for a in Action}


class NotOursError(Exception):
    """The path is outside the base path (or is the base path itself): a 404 for the host app."""


def outside(path: str, base_path: str) -> bool:
    """Whether ``path`` is neither ``base_path`` nor below it."""
    prefix = base_path.rstrip("/") + "/"
    return path != base_path and not path.startswith(prefix)


def parse(path: str, base_path: str) -> tuple[Action | None, str | None]:
    """``(action, provider_id)``; ``action`` is ``None`` for an unknown action.

    Raises:
        NotOursError: The path is not below ``base_path``.
    """
    prefix = base_path.rstrip("/") + "/"
    if outside(path, base_path) or path == base_path:
        raise NotOursError(path)
    segments = path[len(prefix) :].rstrip("/").split("/")
    if not segments[0]:
        raise NotOursError(path)
    if len(segments) > 2 or any(not s for s in segments):
        return None, None
    action = _ACTIONS.get(segments[0])
    return action, (segments[1] if len(segments) == 2 else None)
