"""The example's gate: Django's own users sign in through ``DjangoCredentials``."""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from authgate import AuthGate, Callbacks
from authgate.integrations.django.credentials import DjangoCredentials
from examples.shared import auth_config


def rename(*, token: Any, trigger: str | None = None, session: Any = None, **_: Any) -> Any:
    """``update_session(request, {"name": ...})`` (or next-auth's ``update()``) renames.

    A plain ``def``: it does no I/O, so under WSGI a session read never leaves the request's
    thread (an ``async def`` callback runs on the sync bridge's loop: docs/frameworks.md).
    """
    if trigger == "update" and isinstance(session, dict):
        name = session.get("name")
        if isinstance(name, str) and 0 < len(name) <= 64:
            token["name"] = name
    return token


config = auth_config(
    custom_sign_in=os.environ.get("AUTHGATE_CUSTOM_SIGNIN") == "1",
    providers=[DjangoCredentials()],
)
gate = AuthGate(dataclasses.replace(config, callbacks=Callbacks(jwt=rename)))
