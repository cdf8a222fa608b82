"""What every integration's "protect this view" helper shares: where to send a visitor."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from authgate.gate import AuthGate

__all__ = ["SESSION_REQUIRED", "sign_in_url"]

SESSION_REQUIRED = {"error": "SessionRequired"}
"""The JSON body of the ``401`` answered to API requests without a session."""


def sign_in_url(gate: AuthGate, callback_url: str) -> str:
    """Where to send a visitor who must sign in (the custom sign-in page if configured)."""
    page = gate.config.pages.sign_in or f"{gate.base_path}/signin"
    return f"{page}{'&' if '?' in page else '?'}callbackUrl={quote(callback_url, safe='')}"
