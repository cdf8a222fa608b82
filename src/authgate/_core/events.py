"""Fire events: an exception in a handler is logged and swallowed (next-auth v4)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authgate._core.options import InternalOptions

logger = logging.getLogger("authgate")


async def fire(options: InternalOptions, name: str, **params: Any) -> None:
    handler = options.events.get(name)
    if handler is None:
        return
    try:
        await handler(**params)
    except Exception:
        logger.exception("%s_EVENT_ERROR", name.upper())
