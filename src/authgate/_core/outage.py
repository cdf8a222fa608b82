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


class StorageUnavailable(Exception):  # noqa: N818 - a state, as the adapter's own errors
    """Storage failed while reading who is signed in: an outage, never "signed out".

    Raised (from the adapter's error, where there is one) by the readers of the signed-in user
    (:func:`authgate._core.link.current_user_id`,
    :func:`authgate._core.two_factor.signed_in.read`); a route answers it with
    :func:`storage_failed`, as any other failure of its storage.
    """


def failure_name(exc: BaseException) -> str:
    """The type name to log for ``exc``: the adapter's own error behind a StorageUnavailable."""
    cause = exc.__cause__ if isinstance(exc, StorageUnavailable) and exc.__cause__ else exc
    return type(cause).__name__


def storage_failed(ctx: RequestContext, label: str, exc: BaseException) -> AuthResponse:
    """Log ``<label>: the adapter failed (<type>)`` (no message: it may hold data); the answer."""
    logger.error("%s: the adapter failed (%s)", label, failure_name(exc))
    return to_error(ctx.url, ErrorCode.Callback, status=UNAVAILABLE)
