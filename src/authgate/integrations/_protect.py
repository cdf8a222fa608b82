"""What every integration's "protect this view" helper shares: where to send a visitor."""

from __future__ import annotations

from typing import TYPE_CHECKING

from authgate._core.redirects import append_query

if TYPE_CHECKING:
    from authgate.gate import AuthGate

__all__ = ["SESSION_REQUIRED", "sign_in_url"]

SESSION_REQUIRED = {"error": "SessionRequired"}
"""The JSON body of the ``401`` answered to API requests without a session."""


def sign_in_url(gate: AuthGate, callback_url: str) -> str:
    """Where to send a visitor who must sign in (the custom sign-in page if configured)."""
    page = gate.config.pages.sign_in or f"{gate.base_path}/signin"
    return append_query(page, {"callbackUrl": callback_url})
