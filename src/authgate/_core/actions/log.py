"""POST /_log: where next-auth's client reports its errors. Only the code is logged."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from authgate._core.body import text_field
from authgate.http import AuthResponse

if TYPE_CHECKING:
    from authgate._core.context import RequestContext

logger = logging.getLogger("authgate.client")
_CODE = re.compile(r"[A-Z0-9_]{1,64}")
_LEVELS = {"error": logging.ERROR, "warn": logging.WARNING, "debug": logging.DEBUG}


async def post(ctx: RequestContext) -> AuthResponse:
    level = _LEVELS.get(text_field(ctx.body, "level") or "")
    code = text_field(ctx.body, "code") or ""
    # Client metadata can carry anything (tokens, URLs with codes): SECURITY.md, decision 14.
    if level is not None and _CODE.fullmatch(code):
        logger.log(level, "client reported %s", code)
    return AuthResponse(status=200)
