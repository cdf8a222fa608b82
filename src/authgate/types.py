"""Wire-shaped data: the JSON objects that flow through callbacks and out of ``/session``."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = ["JWT", "Account", "Session", "SessionUser", "User"]

JWT = dict[str, Any]
"""The decoded claims of a session token (``name``, ``email``, ``picture``, ``sub``, ``iat``,
``exp``, ``jti`` plus whatever the ``jwt`` callback adds)."""


class User(TypedDict, total=False):
    """A user as returned by ``authorize`` (``id`` should be set; extra keys are allowed)."""

    id: str
    name: str | None
    email: str | None
    image: str | None


class SessionUser(TypedDict, total=False):
    """The ``user`` member of a session."""

    name: str | None
    email: str | None
    image: str | None


class Session(TypedDict, total=False):
    """The body of ``GET /session`` when signed in (the ``session`` callback may add keys)."""

    user: SessionUser
    expires: str


class Account(TypedDict, total=False):
    """How the user signed in: the provider and the user's id there."""

    provider: str
    type: Literal["credentials", "oauth", "email"]
    providerAccountId: str
