"""The Credentials provider.

Sign in with whatever the user types (username and password, a 2FA code, ...), checked by your
own ``authorize`` function.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from authgate.errors import ConfigurationError

if TYPE_CHECKING:
    from authgate.http import AuthRequest
    from authgate.types import User

__all__ = ["Authorize", "Credentials"]

Authorize = Callable[
    [dict[str, Any], "AuthRequest"], "User | Mapping[str, Any] | Awaitable[Any] | None"
]
"""``authorize(credentials, request)``: return the user, or ``None`` to refuse. May be async;
a sync function runs in a worker thread so a slow password hash does not block the server."""

_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z_:][-a-zA-Z0-9_:.]{0,63}")
_ATTRIBUTE_VALUE = (str, int, float, bool)


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """Sign in with arbitrary credentials checked by ``authorize``.

    Attributes:
        authorize: ``authorize(credentials, request)`` returns a user mapping (``id``, ``name``,
            ``email``, ``image``, ...) or ``None``. ``credentials`` is the whole submitted form.
        credentials: The form fields of the built-in sign-in page: each key becomes an
            ``<input name=key>`` and its mapping is passed through as HTML attributes
            (``label``, ``type``, ``placeholder``, ``autocomplete``, ``required``, ...).
        id: The provider id, used in URLs (``/callback/<id>``).
        name: Shown on the sign-in button ("Sign in with <name>").
        type: Always ``"credentials"``.
        database_session: With the ``"database"`` session strategy, sign in with a database
            session: the user ``authorize`` returns is stored through the adapter (found by
            the account ``(id, user["id"])``, created with it on first sign-in) and a
            session row is created. next-auth refuses credentials with database sessions;
            authgate needs this opt-in instead.
    """

    authorize: Authorize
    credentials: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    id: str = "credentials"
    name: str = "Credentials"
    type: Literal["credentials"] = "credentials"
    database_session: bool = False

    def __post_init__(self) -> None:
        if self.type != "credentials":
            raise ConfigurationError(f"Credentials(type={self.type!r}) must be 'credentials'")
        if not callable(self.authorize):
            raise ConfigurationError(f"Credentials(id={self.id!r}) needs an authorize function")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", self.id or ""):
            raise ConfigurationError(
                f"Credentials(id={self.id!r}): use 1-64 letters, digits, '-' or '_'"
            )
        for key, attributes in self.credentials.items():
            if not isinstance(key, str) or not key:
                raise ConfigurationError("Credentials(credentials): field names must be strings")
            if not isinstance(attributes, Mapping):
                raise ConfigurationError(
                    f"Credentials(credentials[{key!r}]) must be a mapping of input attributes"
                )
            for attr, value in attributes.items():
                if not isinstance(attr, str) or not _ATTRIBUTE_NAME.fullmatch(attr):
                    raise ConfigurationError(
                        f"Credentials(credentials[{key!r}]): {attr!r} is not an HTML attribute name"
                    )
                if not isinstance(value, _ATTRIBUTE_VALUE) and value is not None:
                    raise ConfigurationError(
                        f"Credentials(credentials[{key!r}][{attr!r}]) must be a str, number or bool"
                    )
