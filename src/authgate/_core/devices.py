"""The device of a database session (``SessionConfig(devices=True)``): recorded, summarised.

What is kept: the ``User-Agent`` (cut to 255 characters), the client's network (IPv4 /24,
IPv6 /48, as in the audit log), when the session began and when it was last used. The summary
("Firefox on Linux") is computed when shown, from a handful of well-known tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from authgate._core import audit

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.adapters import SessionDevices

MAX_USER_AGENT = 255
# Order matters: Edge and Opera say "Chrome", Chrome says "Safari".
_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


async def record(ctx: RequestContext, store: SessionDevices, token: str) -> None:
    """Record the device of the session ``token`` that this request opens."""
    moment = datetime.fromtimestamp(ctx.now, UTC)
    agent = ctx.request.headers.get("user-agent") or None
    await store.set_session_device(
        token,
        {
            "createdAt": moment,
            "lastSeen": moment,
            "userAgent": agent[:MAX_USER_AGENT] if agent else None,
            "ipPrefix": audit.client_of(ctx),
        },
    )


def summary(user_agent: str | None) -> tuple[str | None, str | None]:
    """``(browser, system)`` named in ``user_agent``; ``None`` for what it does not name."""
    if not user_agent:
        return None, None
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    return browser, system
