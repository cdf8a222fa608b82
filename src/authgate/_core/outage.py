"""The one answer of the account routes when storage fails: logged, ``Callback``, a ``503``.

A failing adapter (the database down, a timeout, a broken pool) is an outage, not a bug: the
routes answer it the way the passkey routes and the sign-out do, ``/error?error=Callback``
(``503`` in JSON mode, v4 profile), after writing nothing that would be half a change.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from authgate._core.redirects import to_error
from authgate.errors import ErrorCode

if TYPE_CHECKING:
    from authgate._core.context import RequestContext
    from authgate.http import AuthResponse

logger = logging.getLogger("authgate")

UNAVAILABLE = 503


def storage_failed(ctx: RequestContext, label: str, exc: BaseException) -> AuthResponse:
    """Log ``<label>: the adapter failed (<type>)`` (no message: it may hold data); the answer."""
    logger.error("%s: the adapter failed (%s)", label, type(exc).__name__)
    return to_error(ctx.url, ErrorCode.Callback, status=UNAVAILABLE)
